<?php

declare(strict_types=1);

namespace Bench\Http\Eloquent;

use Bench\Http\Shared\AccountNotFound;
use Bench\Http\Shared\Bank;
use Bench\Http\Shared\Refused;
use Illuminate\Database\Connection;

/**
 * The bank on Eloquent and PostgreSQL, written the way a Laravel team writes it today:
 * models, and each write in a transaction that locks the rows it reads
 * (SELECT … FOR UPDATE) so that concurrent requests cannot lose an update.
 */
final class EloquentBank implements Bank
{
    /** Laravel retries a transaction this many times after a deadlock. */
    private const ATTEMPTS = 5;

    public function __construct(private readonly Connection $db)
    {
    }

    public function page(int $page, int $perPage): array
    {
        return Account::query()->orderBy('uuid')->forPage($page, $perPage)->get()->all();
    }

    public function count(): int
    {
        return Account::query()->count();
    }

    public function account(string $uuid): object
    {
        return Account::query()->find($uuid) ?? throw AccountNotFound::withUuid($uuid);
    }

    public function increase(string $uuid, int $amount): void
    {
        $this->db->transaction(static function () use ($uuid, $amount): void {
            $account = Account::query()->lockForUpdate()->find($uuid) ?? throw AccountNotFound::withUuid($uuid);
            $account->balance += $amount;
            $account->save();
        }, self::ATTEMPTS);
    }

    public function transfer(string $from, string $to, int $amount): void
    {
        $this->db->transaction(static function () use ($from, $to, $amount): void {
            // Both rows locked in uuid order: two opposite transfers then wait for each
            // other instead of deadlocking.
            $accounts = Account::query()->whereKey([$from, $to])->orderBy('uuid')->lockForUpdate()->get()->keyBy('uuid');
            // Checked in the order the other variants check: source, funds, destination.
            $source = $accounts->get($from) ?? throw AccountNotFound::withUuid($from);
            if ($source->balance < $amount) {
                throw new Refused('Insufficient funds.');
            }
            $destination = $accounts->get($to) ?? throw AccountNotFound::withUuid($to);
            $source->balance -= $amount;
            $destination->balance += $amount;
            $source->save();
            $destination->save();
        }, self::ATTEMPTS);
    }
}
