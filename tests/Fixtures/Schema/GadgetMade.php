<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures\Schema;

use Resident\Attribute\Alias;
use Resident\Attribute\Creates;
use Resident\Event;

#[Alias('GadgetMade'), Creates(Gadget::class)]
final class GadgetMade extends Event
{
    public function __construct(public string $label)
    {
    }
}
