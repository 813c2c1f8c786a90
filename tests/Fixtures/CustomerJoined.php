<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Creates;
use Resident\Event;

/** Without the city: residentd refuses a null event property as "no prop" (see CustomerMoved). */
#[Creates(Customer::class)]
final class CustomerJoined extends Event
{
    public function __construct(
        public string $name,
        public int $balance,
        public int $score,
        public float $rate,
        public bool $vip,
    ) {
    }
}
