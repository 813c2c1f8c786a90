<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Set;
use Resident\Attribute\Upserts;
use Resident\Event;

/** Upsert: creates the wallet with defaults when it does not exist yet. */
#[Upserts(Wallet::class)]
final class OwnerChanged extends Event
{
    public function __construct(#[Set('owner')] public string $newOwner)
    {
    }
}
