<?php

declare(strict_types=1);

namespace Bench\Http\Resident;

use Resident\Attribute\Creates;
use Resident\Event;

/** Creates the Account; `name` and `balance` set the fields of the same names. */
#[Creates(Account::class)]
final class AccountOpened extends Event
{
    public function __construct(public string $name, public int $balance)
    {
    }
}
