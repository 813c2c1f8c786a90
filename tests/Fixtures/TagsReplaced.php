<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Set;
use Resident\Attribute\Updates;
use Resident\Event;

/** Sets the tags to any value as it is: the stored field nests exactly as deep as the event's value. */
#[Updates(Wallet::class)]
final class TagsReplaced extends Event
{
    public function __construct(#[Set('tags')] public mixed $tags)
    {
    }
}
