<?php

declare(strict_types=1);

namespace App\Bank;

use Resident\Attribute\Index;
use Resident\Entity;

/** A bank account as residentd holds it in memory. */
final class Account extends Entity
{
    public string $uuid;
    public string $name;
    #[Index] public int $balance = 0;
}
