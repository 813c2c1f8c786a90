<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/**
 * A restart of residentd while PHP commits and reads: the extension waits for the server
 * to come back (resident.reconnect_wait_ms, 2000 ms by default) and resends, so no
 * request fails, and every commit is applied exactly once.
 */
final class RestartUnderLoadTest extends TestCase
{
    private TestServer $server;
    private string $progress;

    protected function setUp(): void
    {
        // A server of its own: this test stops it while the shared one keeps serving.
        $this->server = TestServer::inTemporaryDirectory('restart');
        $this->server->start();
        $this->progress = dirname($this->server->socket) . '/progress';
    }

    private function commitsSoFar(): int
    {
        return (int) @file_get_contents($this->progress);
    }

    /** Waits until the loop has made `$more` commits past the count it had. */
    private function awaitCommits(ChildProcess $loop, int $more): void
    {
        $target = $this->commitsSoFar() + $more;
        $deadline = microtime(true) + 20;
        while ($this->commitsSoFar() < $target) {
            if (!$loop->isRunning()) {
                $loop->wait(); // throws with what the loop printed
                self::fail('the loop ended before it was told to');
            }
            self::assertLessThan($deadline, microtime(true), "the loop stalled at {$this->commitsSoFar()} commits");
            usleep(5_000);
        }
    }

    public function testARestartFailsNoRequestAndAppliesEveryCommitOnce(): void
    {
        $script = dirname(__DIR__) . '/scripts/commit-loop.php';
        $stop = dirname($this->server->socket) . '/stop';
        $loop = ChildProcess::start($this->server->socket, $script, [$this->progress, $stop]);
        try {
            for ($restart = 0; $restart < 2; $restart++) {
                $this->awaitCommits($loop, 20);
                $this->server->stop();
                usleep(300_000);
                $this->server->start();
            }
            $this->awaitCommits($loop, 20);
        } finally {
            touch($stop);
        }
        $done = json_decode($loop->wait(), true, 4, JSON_THROW_ON_ERROR);

        $check = ChildProcess::start($this->server->socket, $script, ['check', $done['uuid']])->wait();
        $stored = json_decode($check, true, 4, JSON_THROW_ON_ERROR);
        self::assertSame($done['commits'], $stored['balance'], 'a commit was lost or applied twice');
        self::assertSame($done['commits'] + 1, $stored['version'], 'the open event and one per commit');
        self::assertSame($done['commits'] + 1, $stored['events']);
    }
}
