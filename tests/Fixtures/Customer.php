<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Index;
use Resident\Entity;

/**
 * QueryTest's entity: indexed and unindexed fields of every kind a query filters on, so
 * both index plans and scans run. No other suite uses it.
 */
final class Customer extends Entity
{
    public string $uuid;
    #[Index] public string $name;
    #[Index] public int $balance = 0;
    public int $score = 0;
    public ?string $city = null;
    public float $rate = 0.0;
    public bool $vip = false;
}
