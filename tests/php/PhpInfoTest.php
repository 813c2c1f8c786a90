<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/** phpinfo() shows the versions, the settings in effect and this process's connection. */
final class PhpInfoTest extends TestCase
{
    public function testTheSectionShowsSettingsAndTheConnectionWithoutOpeningOne(): void
    {
        $socket = TestServer::shared()->socket;
        $out = ChildProcess::start($socket, dirname(__DIR__) . '/scripts/phpinfo.php')->wait();
        $seen = json_decode($out, true, 8, JSON_THROW_ON_ERROR);
        $before = $seen['before'];
        self::assertSame('enabled', $before['Resident support'] ?? null, $out);
        self::assertSame(phpversion('resident'), $before['Version']);
        self::assertSame('1', $before['Protocol version']);
        self::assertSame("$socket (RESIDENT_SOCKET)", $before['Socket']);
        self::assertSame('5000 ms', $before['Timeout']);
        self::assertSame('2000 ms', $before['Reconnect wait']);
        self::assertSame('no', $before['Connected']);
        self::assertArrayNotHasKey('Server', $before);
        self::assertSame(0, $seen['metrics']['connects'], 'phpinfo() opened a connection');

        $after = $seen['after'];
        self::assertSame('yes', $after['Connected']);
        self::assertSame($seen['stats']['server'], $after['Server']);
        self::assertSame((string) $seen['stats']['position'], $after['Position (last answer)'], 'the commit\'s position');
        self::assertSame('1', $after['connects (this process)']);
    }
}
