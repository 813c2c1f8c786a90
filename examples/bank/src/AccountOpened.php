<?php

declare(strict_types=1);

namespace App;

use Resident\Attribute\Creates;
use Resident\Event;

/** Creates the Account with the aggregate's uuid; `name` sets the field of the same name. */
#[Creates(Account::class)]
final class AccountOpened extends Event
{
    public function __construct(public string $name)
    {
    }
}
