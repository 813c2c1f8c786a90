<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Deletes;
use Resident\Event;

#[Deletes(Customer::class)]
final class CustomerLeft extends Event
{
}
