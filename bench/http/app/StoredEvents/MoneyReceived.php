<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/** The destination half of a transfer, on the destination account's stream. */
final class MoneyReceived implements AccountEvent
{
    public function __construct(public readonly string $from, public readonly int $amount)
    {
    }

    public function payload(): array
    {
        return ['from' => $this->from, 'amount' => $this->amount];
    }

    public static function fromPayload(array $payload): self
    {
        return new self((string) $payload['from'], (int) $payload['amount']);
    }
}
