<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Add;
use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Customer::class)]
final class CustomerScored extends Event
{
    public function __construct(#[Add('score')] public int $points)
    {
    }
}
