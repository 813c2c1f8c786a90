<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Updates;
use Resident\Event;

/** Sets a nullable field from a nullable property, null included. */
#[Updates(Wallet::class)]
final class OpenedAtCorrected extends Event
{
    public function __construct(public ?string $openedAt)
    {
    }
}
