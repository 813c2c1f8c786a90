<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Customer::class)]
final class CustomerMoved extends Event
{
    public function __construct(public string $city)
    {
    }
}
