<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Min;
use Resident\Attribute\Subtract;
use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Wallet::class)]
final class Withdrawn extends Event
{
    public function __construct(#[Subtract('balance')] public int $amount, #[Min('lowest')] public int $trough = 0)
    {
    }
}
