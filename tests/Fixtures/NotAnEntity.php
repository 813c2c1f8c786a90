<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Updates;
use Resident\Event;

/** Bad input: a rule naming a class that is not an entity. */
#[Updates(\stdClass::class)]
final class NotAnEntity extends Event
{
}
