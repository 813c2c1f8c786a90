<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/** Changing the rules of an event type that already has events is refused. */
final class SchemaChangeTest extends TestCase
{
    public function testChangedRulesAreRefusedOnceEventsExist(): void
    {
        $server = TestServer::shared();
        $script = dirname(__DIR__) . '/scripts/schema-change.php';
        self::assertSame("balance 5\n", ChildProcess::start($server->socket, $script, ['add'])->wait());

        $refused = ChildProcess::start($server->socket, $script, ['subtract'])->wait();
        self::assertStringStartsWith('SchemaException: ', $refused);
        self::assertStringContainsString('PointsChanged', $refused);
        self::assertStringContainsString('subtract', $refused);

        self::assertSame("balance 5\n", ChildProcess::start($server->socket, $script, ['add'])->wait(), 'the original rules still apply');
    }
}
