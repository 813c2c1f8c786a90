<?php

declare(strict_types=1);

namespace Bench\Http\Resident;

use Resident\Entity;

/** An account as residentd holds it in memory; its id is the aggregate's uuid. */
final class Account extends Entity
{
    public string $uuid;
    public string $name;
    public int $balance = 0;
}
