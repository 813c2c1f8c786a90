<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Tests\Support\ResidentServer;

/** Changing the rules of an event type that already has events is refused. */
final class SchemaChangeTest extends TestCase
{
    public function testChangedRulesAreRefusedOnceEventsExist(): void
    {
        $server = ResidentServer::shared();
        $script = dirname(__DIR__) . '/scripts/schema-change.php';
        self::assertSame("balance 5\n", $server->php($script, 'add')->wait());

        $refused = $server->php($script, 'subtract')->wait();
        self::assertStringStartsWith('SchemaException: ', $refused);
        self::assertStringContainsString('PointsChanged', $refused);
        self::assertStringContainsString('subtract', $refused);

        self::assertSame("balance 5\n", $server->php($script, 'add')->wait(), 'the original rules still apply');
    }
}
