<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Creates;
use Resident\Event;

#[Creates(Wallet::class, meta: ['openedAt' => 'recorded_at'])]
final class WalletOpened extends Event
{
    public function __construct(public string $owner, public float $rate = 0.5)
    {
    }
}
