<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/** Applies each stored event to the accounts table, in the transaction that stores it. */
final class AccountProjector
{
    public function project(string $uuid, AccountEvent $event): void
    {
        $account = AccountProjection::query()->whereKey($uuid);
        match (true) {
            $event instanceof AccountOpened => AccountProjection::query()->create(['uuid' => $uuid, 'name' => $event->name, 'balance' => $event->balance]),
            $event instanceof BalanceIncreased => $account->increment('balance', $event->amount),
            $event instanceof MoneyReceived => $account->increment('balance', $event->amount),
            $event instanceof MoneySent => $account->decrement('balance', $event->amount),
            default => throw new \LogicException('No projection for ' . $event::class),
        };
    }
}
