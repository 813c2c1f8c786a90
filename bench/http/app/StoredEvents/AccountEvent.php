<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/** An event of an account's stream, stored as a JSON payload in stored_events. */
interface AccountEvent
{
    /** @return array<string, int|string> */
    public function payload(): array;

    /** @param array<string, mixed> $payload */
    public static function fromPayload(array $payload): self;
}
