<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures\Schema;

use Resident\Entity;

/** An abstract base entity: a schema scan skips it and takes its subclasses. */
abstract class Part extends Entity
{
}
