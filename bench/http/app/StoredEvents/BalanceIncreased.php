<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/** Money paid in. */
final class BalanceIncreased implements AccountEvent
{
    public function __construct(public readonly int $amount)
    {
    }

    public function payload(): array
    {
        return ['amount' => $this->amount];
    }

    public static function fromPayload(array $payload): self
    {
        return new self((int) $payload['amount']);
    }
}
