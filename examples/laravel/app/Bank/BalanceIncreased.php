<?php

declare(strict_types=1);

namespace App\Bank;

use Resident\Attribute\Add;
use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Account::class)]
final class BalanceIncreased extends Event
{
    public function __construct(#[Add('balance')] public int $amount)
    {
    }
}
