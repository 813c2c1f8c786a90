<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Pull;
use Resident\Attribute\Updates;
use Resident\Event;

#[Updates(Wallet::class)]
final class Untagged extends Event
{
    public function __construct(#[Pull('tags')] public string $tag)
    {
    }
}
