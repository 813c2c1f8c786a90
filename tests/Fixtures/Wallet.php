<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Id;
use Resident\Entity;

/** An entity with one field per kind of projection rule the suites exercise. */
final class Wallet extends Entity
{
    #[Id] public string $code;
    public string $owner;
    public int $balance = 0;
    public int $limitHits = 0;
    public array $tags = [];
    public ?string $openedAt = null;
    public int $lowest = 0;
    public int $highest = 0;
    public float $rate = 0.0;
}
