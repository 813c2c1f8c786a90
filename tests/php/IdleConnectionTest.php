<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use PHPUnit\Framework\TestCase;
use Resident\Tests\Support\ResidentServer;

/**
 * residentd closes connections left idle (idle_timeout_ms); a PHP process that kept
 * one, as every PHP-FPM worker does, opens a new one on its next call without an error.
 */
final class IdleConnectionTest extends TestCase
{
    public function testACallAfterTheServerClosedTheIdleConnectionWorks(): void
    {
        $server = ResidentServer::shared();
        $server->restart(['--idle-timeout-ms', '300']);
        try {
            $root = AccountAggregateRoot::create()->open('Idle')->increaseBalance(5);
            usleep(900_000);
            // The CLI's own connection is the only one left: this process's was closed.
            self::assertMatchesRegularExpression('/^connections\s+1$/m', $server->cli('stats'));
            self::assertSame(5, Account::find($root->uuid())->balance);
            usleep(900_000);
            $root->increaseBalance(1);
            self::assertSame(6, Account::find($root->uuid())->balance);
        } finally {
            $server->restart();
        }
    }
}
