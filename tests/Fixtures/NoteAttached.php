<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Attribute\Push;
use Resident\Attribute\Updates;
use Resident\Event;

/** Pushes any value onto the tags; an object cannot go on the wire. */
#[Updates(Wallet::class)]
final class NoteAttached extends Event
{
    public function __construct(#[Push('tags')] public mixed $note)
    {
    }
}
