<?php

declare(strict_types=1);

namespace App\Bank;

use Resident\Attribute\Creates;
use Resident\Event;

#[Creates(Account::class)]
final class AccountOpened extends Event
{
    public function __construct(public string $name)
    {
    }
}
