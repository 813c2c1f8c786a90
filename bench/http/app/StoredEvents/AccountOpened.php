<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/** Opens the account with its starting balance. */
final class AccountOpened implements AccountEvent
{
    public function __construct(public readonly string $name, public readonly int $balance)
    {
    }

    public function payload(): array
    {
        return ['name' => $this->name, 'balance' => $this->balance];
    }

    public static function fromPayload(array $payload): self
    {
        return new self((string) $payload['name'], (int) $payload['balance']);
    }
}
