<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\Event;

/** Bad input: an event the server would not know how to apply. */
final class EventWithoutRules extends Event
{
    public function __construct(public int $amount)
    {
    }
}
