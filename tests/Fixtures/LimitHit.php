<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Updates;
use Resident\Event;

/** A constant in a field map: no property needed. */
#[Updates(Wallet::class, add: ['limitHits' => 1])]
final class LimitHit extends Event
{
}
