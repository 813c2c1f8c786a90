<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

use Bench\Http\Shared\Bank;
use Bench\Http\Shared\AccountNotFound;
use Illuminate\Database\Connection;

/**
 * The bank event-sourced the way Laravel teams do it without Resident: events appended to
 * a stored_events table, a projection table updated in the same transaction, reads from
 * the projection.
 */
final class StoredEventsBank implements Bank
{
    /** As many attempts as the Resident variant makes: both lock optimistically. */
    private const ATTEMPTS = 20;

    private readonly AccountProjector $projector;

    public function __construct(private readonly Connection $db)
    {
        $this->projector = new AccountProjector();
    }

    public function page(int $page, int $perPage): array
    {
        return AccountProjection::query()->orderBy('uuid')->forPage($page, $perPage)->get()->all();
    }

    public function count(): int
    {
        return AccountProjection::query()->count();
    }

    public function account(string $uuid): object
    {
        return AccountProjection::query()->find($uuid) ?? throw AccountNotFound::withUuid($uuid);
    }

    public function increase(string $uuid, int $amount): void
    {
        ConflictRetry::run(fn () => $this->db->transaction(function () use ($uuid, $amount): void {
            AccountAggregate::retrieve($uuid)->increaseBalance($amount)->persist($this->projector);
        }), self::ATTEMPTS);
    }

    public function transfer(string $from, string $to, int $amount): void
    {
        ConflictRetry::run(fn () => $this->db->transaction(function () use ($from, $to, $amount): void {
            $source = AccountAggregate::retrieve($from)->sendMoney($to, $amount);
            $destination = AccountAggregate::retrieve($to)->receiveMoney($from, $amount);
            // Persisted in uuid order: two opposite transfers then wait for each other on
            // the same row first instead of deadlocking.
            $both = strcmp($from, $to) < 0 ? [$source, $destination] : [$destination, $source];
            foreach ($both as $aggregate) {
                $aggregate->persist($this->projector);
            }
        }), self::ATTEMPTS);
    }
}
