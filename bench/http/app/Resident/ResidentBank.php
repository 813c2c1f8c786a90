<?php

declare(strict_types=1);

namespace Bench\Http\Resident;

use Bench\Http\Shared\AccountNotFound;
use Bench\Http\Shared\Bank;
use Resident\Exception\NotFound;
use Resident\Retry;

/**
 * The bank on Resident: reads come from residentd's memory, writes are events on the
 * account's aggregate, durable (fsynced) before the server answers.
 */
final class ResidentBank implements Bank
{
    /**
     * Commits are optimistic: a request that loses the race for a stream loads it again.
     * Under PHP-FPM's 4 workers on one hot account a request can lose several times in a
     * row, and Retry's default of 5 then turns into an error page.
     */
    private const ATTEMPTS = 20;

    public function page(int $page, int $perPage): array
    {
        // Entities come in id (uuid) order unless told otherwise; an explicit orderBy('uuid')
        // would take the server's sorting path for a field, several times slower here.
        return Account::query()->offset(($page - 1) * $perPage)->limit($perPage)->get();
    }

    public function count(): int
    {
        return Account::count();
    }

    public function account(string $uuid): object
    {
        return Account::find($uuid) ?? throw AccountNotFound::withUuid($uuid);
    }

    public function increase(string $uuid, int $amount): void
    {
        // Another request may write to the same account at the same moment: load again and retry.
        self::notFoundAsAccountNotFound($uuid, static fn () => Retry::onConflict(
            static fn () => AccountAggregateRoot::find($uuid)->increaseBalance($amount),
            self::ATTEMPTS,
        ));
    }

    public function transfer(string $from, string $to, int $amount): void
    {
        // The server answers NotFound for either account: a missing source when loading,
        // a missing destination when it applies the event (and then writes nothing).
        self::notFoundAsAccountNotFound("$from or $to", static fn () => Retry::onConflict(
            static fn () => AccountAggregateRoot::find($from)->transferTo($to, $amount),
            self::ATTEMPTS,
        ));
    }

    private static function notFoundAsAccountNotFound(string $which, callable $work): void
    {
        try {
            $work();
        } catch (NotFound) {
            throw AccountNotFound::withUuid($which);
        }
    }
}
