<?php

declare(strict_types=1);

namespace Bench\Http\Resident;

use Resident\Attribute\Updates;
use Resident\Event;

/**
 * One event on the source account's stream that changes both accounts, in one atomic
 * commit: the server refuses the whole event if the destination does not exist.
 */
#[Updates(Account::class, id: 'from', subtract: ['balance' => 'amount'])]
#[Updates(Account::class, id: 'to', add: ['balance' => 'amount'])]
final class MoneyTransferred extends Event
{
    public function __construct(public string $from, public string $to, public int $amount)
    {
    }
}
