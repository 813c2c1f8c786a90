<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use App\BalanceIncreased;
use PHPUnit\Framework\TestCase;
use Resident\Exception\ConcurrencyException;
use Resident\Retry;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/** Optimistic concurrency per stream, between real PHP processes. */
final class ConcurrencyTest extends TestCase
{
    public function testAStaleAggregateGetsAConcurrencyException(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Ivy')->uuid();
        $first = AccountAggregateRoot::find($uuid);
        $second = AccountAggregateRoot::find($uuid);
        $first->increaseBalance(1);
        try {
            $second->increaseBalance(2);
            self::fail('the stale aggregate was allowed to write');
        } catch (ConcurrencyException $e) {
            self::assertSame('AccountAggregateRoot-' . $uuid, $e->stream());
            self::assertSame(1, $e->expectedVersion());
            self::assertSame(2, $e->actualVersion());
            self::assertStringContainsString('AccountAggregateRoot-' . $uuid, $e->getMessage());
        }
        self::assertSame(1, Account::find($uuid)->balance, 'the refused commit changed nothing');
        self::assertSame(1, $second->version(), 'the refused aggregate keeps the version it loaded');
    }

    public function testPersistIsAllOrNothingUnderConflict(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Jon')->uuid();
        $stale = AccountAggregateRoot::find($uuid);
        AccountAggregateRoot::find($uuid)->increaseBalance(100);
        $stale->record(new BalanceIncreased(1))->record(new BalanceIncreased(2));
        try {
            $stale->persist();
            self::fail('persist() with a stale version succeeded');
        } catch (ConcurrencyException) {
        }
        self::assertSame(100, Account::find($uuid)->balance);
    }

    public function testTwoProcessesRaceOnOneAggregate(): void
    {
        $server = TestServer::shared();
        $uuid = AccountAggregateRoot::create()->open('Race')->uuid();
        $barrier = sys_get_temp_dir() . '/resident-race-' . bin2hex(random_bytes(4));
        mkdir($barrier);
        $script = dirname(__DIR__) . '/scripts/race.php';
        try {
            $a = ChildProcess::start($server->socket, $script, [$uuid, $barrier, 'a', '10']);
            $b = ChildProcess::start($server->socket, $script, [$uuid, $barrier, 'b', '32']);
            $results = [$a->wait(), $b->wait()];
        } finally {
            exec('rm -rf ' . escapeshellarg($barrier));
        }
        sort($results);
        self::assertSame(["conflict then retried\n", "won\n"], $results, 'exactly one process wins the race');
        self::assertSame(42, Account::find($uuid)->balance);
        self::assertSame(3, AccountAggregateRoot::find($uuid)->version());
    }

    public function testRetryGivesUpAfterItsAttempts(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Kim')->uuid();
        $attempts = 0;
        try {
            Retry::onConflict(static function () use ($uuid, &$attempts): void {
                $attempts++;
                $stale = AccountAggregateRoot::find($uuid);
                AccountAggregateRoot::find($uuid)->increaseBalance(1);
                $stale->increaseBalance(1);
            }, 3);
            self::fail('every attempt conflicted, yet no exception');
        } catch (ConcurrencyException) {
        }
        self::assertSame(3, $attempts);
        self::assertSame(3, Account::find($uuid)->balance);
    }
}
