<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/**
 * Reads go on when writes fail: a residentd whose log can no longer be written still
 * serves a PHP process that starts afterwards (the extension registers its schema
 * before the first read; that register changes nothing and needs no writer).
 */
final class FailedWriterTest extends TestCase
{
    public function testAFreshPhpProcessReadsAfterTheWriterFailed(): void
    {
        $server = TestServer::inTemporaryDirectory('failed-writer', ['--segment-bytes', '4096']);
        $server->start();
        try {
            // A directory where the next log segment must be created: the rotation fails
            // for real (EISDIR), as it would on a read-only or failing disk.
            mkdir("{$server->dataDir}/log/00000000000000000002.log");
            $script = __DIR__ . '/../scripts/failed-writer.php';
            $wrote = json_decode(ChildProcess::start($server->socket, $script, ['write'])->wait(), true, flags: JSON_THROW_ON_ERROR);
            self::assertGreaterThan(0, $wrote['opened']);
            self::assertStringContainsString('unavailable', $wrote['error']);
            self::assertStringContainsString('00000000000000000002.log', $wrote['error']);

            $read = json_decode(ChildProcess::start($server->socket, $script, ['read', $wrote['first']])->wait(), true, flags: JSON_THROW_ON_ERROR);
            self::assertSame(['count' => $wrote['opened'], 'name' => 'Account 0'], $read);
        } finally {
            $server->stop();
        }
    }
}
