<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;

/**
 * residentd closes connections left idle (idle_timeout_ms); a PHP process that kept
 * one, as every PHP-FPM worker does, opens a new one on its next call without an error.
 */
final class IdleConnectionTest extends TestCase
{
    public function testACallAfterTheServerClosedTheIdleConnectionWorks(): void
    {
        $server = TestServer::shared();
        $server->restart(['--idle-timeout-ms', '300']);
        try {
            $root = AccountAggregateRoot::create()->open('Idle')->increaseBalance(5);
            $reconnects = \Resident\metrics()['process']['reconnects'];
            usleep(900_000);
            self::assertSame(5, Account::find($root->uuid())->balance);
            self::assertSame(
                $reconnects + 1,
                \Resident\metrics()['process']['reconnects'],
                'the server closed the idle connection, and the call reopened one',
            );
            usleep(900_000);
            $root->increaseBalance(1);
            self::assertSame(6, Account::find($root->uuid())->balance);
        } finally {
            $server->restart([]);
        }
    }
}
