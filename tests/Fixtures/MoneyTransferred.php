<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Updates;
use Resident\Event;

/** One event, two entities: each rule names the event property that holds its id. */
#[Updates(Wallet::class, id: 'from', subtract: ['balance' => 'amount'])]
#[Updates(Wallet::class, id: 'to', add: ['balance' => 'amount'])]
final class MoneyTransferred extends Event
{
    public function __construct(public string $from, public string $to, public int $amount)
    {
    }
}
