<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\AccountAggregateRoot;
use PHPUnit\Framework\TestCase;
use Resident\Console\SchemaCheckCommand;
use Resident\Console\SchemaPushCommand;
use Resident\Console\SnapshotCommand;
use Resident\Console\StatusCommand;
use Resident\Operations;
use Resident\Schema\SchemaSync;
use Resident\Testing\RefreshResident;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Tester\CommandTester;

/** php-lib's console commands, which the Laravel and Symfony adapters register, against a real server. */
final class ConsoleCommandsTest extends TestCase
{
    use RefreshResident;

    public function testStatusShowsTheServerItsCountsAndStorage(): void
    {
        AccountAggregateRoot::create()->open('Alice')->increaseBalance(5);
        $status = self::tester(StatusCommand::class);
        self::assertSame(0, $status->execute([]));
        $lines = explode("\n", trim($status->getDisplay()));
        self::assertCount(4, $lines);
        self::assertMatchesRegularExpression('#^residentd \S+ on ' . preg_quote(self::resident()->socket, '#') . ', up \d+s$#', $lines[0]);
        self::assertSame('position 2, streams 1, schema version 3, connections 1, entities: Account 1', $lines[1] . ', ' . $lines[2]);
        self::assertMatchesRegularExpression('#^storage: fsync always, 1 log segments \([\d.]+ (B|KiB)\), 0 snapshots \(none yet\)$#', $lines[3]);
    }

    public function testSnapshotWritesOneAndSaysWhere(): void
    {
        AccountAggregateRoot::create()->open('Bob');
        $snapshot = self::tester(SnapshotCommand::class);
        self::assertSame(0, $snapshot->execute([]));
        self::assertMatchesRegularExpression('#^Snapshot at position 1: 1 entities, [\d.]+ (B|KiB), in \d+ ms: (/\S+\.snap)$#', trim($snapshot->getDisplay()));
        self::assertStringContainsString('1 snapshots (newest at position 1)', self::statusDisplay());
    }

    public function testAServerThatIsDownIsAFailureNamingTheSocket(): void
    {
        self::resident()->stop();
        try {
            $status = self::tester(StatusCommand::class);
            self::assertSame(Command::FAILURE, $status->execute([]));
            self::assertStringContainsString(self::resident()->socket, $status->getDisplay());
        } finally {
            self::resident()->start();
        }
    }

    public function testTheCommandsPrintTheDifferenceAndAnswerItInTheirExitCode(): void
    {
        $check = self::tester(SchemaCheckCommand::class);
        self::assertSame(1, $check->execute([]));
        self::assertStringStartsWith(SchemaSyncTest::NEW_GADGET[0] . "\n", $check->getDisplay());

        $push = self::tester(SchemaPushCommand::class);
        self::assertSame(0, $push->execute([]));
        self::assertStringEndsWith("Pushed: the server's schema is now version 1.\n", $push->getDisplay());
        self::assertSame(0, $check->execute([]));
    }

    /** @param class-string<Command> $command */
    private static function tester(string $command): CommandTester
    {
        return new CommandTester(new $command(new Operations(new SchemaSync(SchemaSyncTest::code()))));
    }

    private static function statusDisplay(): string
    {
        $status = self::tester(StatusCommand::class);
        $status->execute([]);
        return $status->getDisplay();
    }
}
