<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use PHPUnit\Framework\TestCase;
use Resident\Exception\ConnectionException;
use Resident\Testing\TestServer;
use RuntimeException;

/** The server crashes, stops and restarts; PHP keeps its data and its way back. */
final class ServerLifecycleTest extends TestCase
{
    public function testAcknowledgedWritesSurviveKillNine(): void
    {
        $server = TestServer::shared();
        $roots = [];
        for ($i = 0; $i < 20; $i++) {
            $roots[] = AccountAggregateRoot::create()->open("Crash $i")->increaseBalance($i + 1);
        }
        $count = Account::count();

        $server->kill();
        self::assertFileExists($server->socket, 'SIGKILL leaves the socket file behind');
        $server->start();

        // Same PHP process: its connection died with the server and reopens by itself.
        self::assertSame($count, Account::count());
        foreach ($roots as $i => $root) {
            $account = Account::find($root->uuid());
            self::assertSame("Crash $i", $account->name);
            self::assertSame($i + 1, $account->balance);
            self::assertSame(2, AccountAggregateRoot::find($root->uuid())->version());
        }
        $roots[0]->increaseBalance(100);
        self::assertSame(101, Account::find($roots[0]->uuid())->balance);
    }

    public function testCleanStopRemovesTheSocketAndKeepsTheData(): void
    {
        $server = TestServer::shared();
        $uuid = AccountAggregateRoot::create()->open('Stopped')->increaseBalance(9)->uuid();
        $server->stop();
        self::assertFileDoesNotExist($server->socket);
        $server->start();
        self::assertSame(9, Account::find($uuid)->balance);
    }

    public function testAServerThatIsDownGivesConnectionException(): void
    {
        $server = TestServer::shared();
        $server->stop();
        try {
            Account::count();
            self::fail('no exception while the server is down');
        } catch (ConnectionException $e) {
            self::assertStringContainsString($server->socket, $e->getMessage());
            self::assertStringContainsString('does not exist', $e->getMessage());
        } finally {
            $server->start();
        }
        self::assertIsInt(Account::count());
    }

    public function testAServerThatStaysDownFailsOnceTheReconnectWaitIsOver(): void
    {
        $server = TestServer::shared();
        $wait = ini_get('resident.reconnect_wait_ms');
        ini_set('resident.reconnect_wait_ms', '300');
        $server->stop();
        $started = microtime(true);
        try {
            Account::count();
            self::fail('no exception while the server is down');
        } catch (ConnectionException $e) {
            $took = microtime(true) - $started;
            self::assertStringEndsWith('(waited 300 ms for it: resident.reconnect_wait_ms)', $e->getMessage());
            self::assertGreaterThanOrEqual(0.3, $took);
            self::assertLessThan(1.5, $took);
        } finally {
            ini_set('resident.reconnect_wait_ms', $wait);
            $server->start();
        }
    }

    public function testAStaleSocketFileGivesConnectionExceptionThatSaysRefused(): void
    {
        $server = TestServer::shared();
        $server->kill();
        try {
            Account::count();
            self::fail('no exception while the server is dead');
        } catch (ConnectionException $e) {
            self::assertStringContainsString($server->socket, $e->getMessage());
            self::assertStringContainsString('refused', $e->getMessage());
        } finally {
            $server->start();
        }
    }

    public function testASecondServerOnTheSameDataIsRefused(): void
    {
        $shared = TestServer::shared();
        $second = new TestServer($shared->binary, $shared->socket . '.2', $shared->dataDir, $shared->logFile . '.2');
        try {
            $second->start();
            $second->stop();
            self::fail('a second server started on the same data directory');
        } catch (RuntimeException $e) {
            self::assertStringContainsString('locked', $e->getMessage());
        }
        self::assertIsInt(Account::count(), 'the first server still answers');
    }
}
