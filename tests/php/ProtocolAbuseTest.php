<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;

/** A raw socket client misbehaves; the server answers or hangs up, and stays up for others. */
final class ProtocolAbuseTest extends TestCase
{
    /** @return resource */
    private function connect()
    {
        $socket = stream_socket_client('unix://' . TestServer::shared()->socket, $errno, $error, 2);
        self::assertNotFalse($socket, $error);
        stream_set_timeout($socket, 5);
        return $socket;
    }

    private static function frame(string $cbor): string
    {
        return pack('N', strlen($cbor)) . $cbor;
    }

    /** Reads one response frame's body, or null when the server closed the connection. */
    private static function read($socket): ?string
    {
        $head = fread($socket, 4);
        if ($head === false || strlen($head) < 4) {
            return null;
        }
        $length = unpack('N', $head)[1];
        $body = '';
        while (strlen($body) < $length && !feof($socket)) {
            $body .= fread($socket, $length - strlen($body));
        }
        return $body;
    }

    protected function tearDown(): void
    {
        self::assertTrue(TestServer::shared()->isRunning(), 'the server died');
        self::assertIsInt(Account::count(), 'the server no longer answers other clients');
    }

    public function testMalformedCborIsAnsweredThenClosed(): void
    {
        $socket = $this->connect();
        fwrite($socket, self::frame("\xff\xfe\xfd"));
        self::assertStringContainsString('malformed', (string) self::read($socket));
        self::assertNull(self::read($socket), 'the connection stays open after a malformed frame');
    }

    public function testOversizedFrameIsAnsweredThenClosed(): void
    {
        $socket = $this->connect();
        fwrite($socket, pack('N', 0x7fffffff) . 'abc');
        self::assertStringContainsString('too_large', (string) self::read($socket));
        self::assertNull(self::read($socket));
    }

    public function testUnknownOperationKeepsTheConnection(): void
    {
        $socket = $this->connect();
        // {"id": 1, "op": "nope"}
        fwrite($socket, self::frame("\xa2\x62id\x01\x62op\x64nope"));
        self::assertStringContainsString('unknown_op', (string) self::read($socket));
        // {"id": 2, "op": "stats"}
        fwrite($socket, self::frame("\xa2\x62id\x02\x62op\x65stats"));
        $stats = (string) self::read($socket);
        self::assertStringContainsString('position', $stats);
    }

    public function testTruncatedFrameThenClose(): void
    {
        $socket = $this->connect();
        fwrite($socket, pack('N', 100) . str_repeat("\xa1", 10));
        fclose($socket);
        usleep(50_000);
    }
}
