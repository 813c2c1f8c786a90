<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/** The source half of a transfer, on the source account's stream. */
final class MoneySent implements AccountEvent
{
    public function __construct(public readonly string $to, public readonly int $amount)
    {
    }

    public function payload(): array
    {
        return ['to' => $this->to, 'amount' => $this->amount];
    }

    public static function fromPayload(array $payload): self
    {
        return new self((string) $payload['to'], (int) $payload['amount']);
    }
}
