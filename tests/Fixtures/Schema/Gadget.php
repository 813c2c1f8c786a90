<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures\Schema;

use Resident\Attribute\Alias;
use Resident\Attribute\Index;

/** SchemaSyncTest's entity; tests/scripts/gadget-v1.php declares an older shape of it. */
#[Alias('Gadget')]
final class Gadget extends Part
{
    public string $uuid;
    public string $label;
    #[Index] public int $weight = 0;
}
