<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Add;
use Resident\Attribute\Max;
use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Wallet::class)]
final class Deposited extends Event
{
    public function __construct(#[Add('balance')] public int $amount, #[Max('highest')] public int $peak = 0)
    {
    }
}
