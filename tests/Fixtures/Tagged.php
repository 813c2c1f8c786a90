<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Push;
use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Wallet::class)]
final class Tagged extends Event
{
    public function __construct(#[Push('tags')] public string $tag)
    {
    }
}
