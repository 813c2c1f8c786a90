<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Set;
use Resident\Attribute\Updates;
use Resident\Event;

/** Bad input: sets the string field `owner` from an int, which the server refuses. */
#[Updates(Wallet::class)]
final class OwnerRenumbered extends Event
{
    public function __construct(#[Set('owner')] public int $number)
    {
    }
}
