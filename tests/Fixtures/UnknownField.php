<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Add;
use Resident\Attribute\Updates;
use Resident\Event;

/** Bad input: a rule changing a field the entity does not have. */
#[Updates(Wallet::class)]
final class UnknownField extends Event
{
    public function __construct(#[Add('bonus')] public int $amount)
    {
    }
}
