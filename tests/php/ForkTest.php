<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/** A process that forks after connecting: parent and child each use a connection of their own. */
final class ForkTest extends TestCase
{
    public function testAForkedChildOpensItsOwnConnectionAndLeavesTheParentsAlone(): void
    {
        $out = ChildProcess::start(TestServer::shared()->socket, dirname(__DIR__) . '/scripts/fork.php')->wait();
        $seen = json_decode($out, true, 8, JSON_THROW_ON_ERROR);
        foreach (['parent', 'child'] as $who) {
            self::assertArrayHasKey('error', $seen[$who], "no report from the $who: $out");
            self::assertNull($seen[$who]['error'], "$who: $out");
            self::assertSame(0, $seen[$who]['wrong'], "$who read another process's answers");
        }
        self::assertSame('Parent', $seen['parent']['after']);
        self::assertSame(1, $seen['parent']['metrics']['connects'], 'the parent kept its one connection');
        // The child counts from zero, and its first request opened a connection of its own.
        self::assertSame(1, $seen['child']['metrics']['connects']);
        self::assertSame(1, $seen['child']['metrics']['reconnects']);
        self::assertSame(302, $seen['child']['metrics']['requests'], 'hello, the schema and 300 finds');
    }
}
