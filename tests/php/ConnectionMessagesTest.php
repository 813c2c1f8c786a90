<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Exception\ConnectionException;
use Resident\Tests\Support\ChildProcess;
use Resident\Testing\TestServer;

/**
 * When residentd cannot be used, the exception says why and what to do. Each case runs a
 * child PHP process (outcome.php) against a server of its own or a bad socket path.
 */
final class ConnectionMessagesTest extends TestCase
{
    /** @return array{class?: string, code?: string, message?: string, ok?: bool} */
    private static function countThrough(string $socket): array
    {
        $out = ChildProcess::start($socket, dirname(__DIR__) . '/scripts/outcome.php', ['count'])->wait();
        return json_decode($out, true, 8, JSON_THROW_ON_ERROR);
    }

    /**
     * A connection that residentd has answered, so it holds a slot. The slot of the
     * connection that start() made to see the server listen is freed only once the server
     * notices it closed: until then the new one is refused, and is tried again.
     *
     * @return resource
     */
    private static function takeTheOnlySlot(string $socket)
    {
        // {"id": 1, "op": "stats"}
        $stats = "\xa2\x62id\x01\x62op\x65stats";
        $deadline = microtime(true) + 5;
        do {
            $held = stream_socket_client("unix://$socket", $errno, $error, 2);
            self::assertNotFalse($held, $error);
            stream_set_timeout($held, 2);
            $head = @fwrite($held, pack('N', strlen($stats)) . $stats) ? fread($held, 4) : false;
            if ($head !== false && strlen($head) === 4) {
                $body = fread($held, unpack('N', $head)[1]);
                if (str_contains((string) $body, 'position')) {
                    return $held;
                }
            }
            fclose($held);
            usleep(20_000);
        } while (microtime(true) < $deadline);
        self::fail('no connection to the one-connection server was answered');
    }

    public function testOverTheConnectionLimitTheServersRefusalIsReported(): void
    {
        $server = self::started('connection-limit', ['--connections-max', '1']);
        $held = self::takeTheOnlySlot($server->socket);
        $outcome = self::countThrough($server->socket);
        self::assertSame(ConnectionException::class, $outcome['class'] ?? null, json_encode($outcome));
        self::assertSame('limit', $outcome['code']);
        self::assertStringContainsString("residentd at {$server->socket} refused the connection", $outcome['message']);
        self::assertStringContainsString('serves at most 1 connections', $outcome['message']);
        fclose($held);
    }

    public function testAUserOutsideAllowUidIsToldWhereToLook(): void
    {
        $server = self::started('allow-uid', ['--allow-uid', (string) (posix_getuid() + 4242)]);
        $outcome = self::countThrough($server->socket);
        self::assertSame(ConnectionException::class, $outcome['class'] ?? null, json_encode($outcome));
        self::assertStringContainsString('allow-uid', $outcome['message']);
        self::assertStringContainsString('uid ' . posix_getuid(), $outcome['message']);
    }

    public function testASocketPathThatIsNotASocketSaysWhatIsThere(): void
    {
        $dir = sys_get_temp_dir() . '/resident-not-a-socket-' . getmypid();
        mkdir($dir);
        touch("$dir/file.sock");
        try {
            foreach (['directory' => $dir, 'regular file' => "$dir/file.sock"] as $what => $path) {
                $outcome = self::countThrough($path);
                self::assertSame(ConnectionException::class, $outcome['class'] ?? null, json_encode($outcome));
                self::assertStringContainsString("$path is a $what, not a socket", $outcome['message']);
                self::assertStringNotContainsString('stale', $outcome['message']);
            }
        } finally {
            unlink("$dir/file.sock");
            rmdir($dir);
        }
    }

    /** A server of its own with these flags, started; PHP's connection stays on the shared one. */
    private static function started(string $name, array $flags): TestServer
    {
        $server = TestServer::inTemporaryDirectory($name, $flags);
        $server->start();
        return $server;
    }
}
