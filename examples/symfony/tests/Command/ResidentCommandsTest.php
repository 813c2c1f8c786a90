<?php

namespace App\Tests\Command;

use App\AccountAggregateRoot;
use Resident\Operations;
use Resident\Testing\RefreshResident;
use Symfony\Bundle\FrameworkBundle\Console\Application;
use Symfony\Bundle\FrameworkBundle\Test\KernelTestCase;
use Symfony\Component\Console\Tester\CommandTester;

/** The bundle's console commands and service, in the kernel's container. */
final class ResidentCommandsTest extends KernelTestCase
{
    use RefreshResident;

    public function testSchemaCheckAndPushAtDeployTime(): void
    {
        $check = $this->command('resident:schema:check');
        self::assertSame(1, $check->execute([]));
        self::assertSame(
            "+ entity Account: uuid string, name string, balance int = 0; index balance\n"
            . "+ event AccountOpened: create Account (stream id): name set prop name\n"
            . "+ event BalanceIncreased: update Account (stream id): balance add prop amount\n"
            . "Not pushed yet: run resident:schema:push to register it (schema version 0 now).\n",
            $check->getDisplay(),
        );
        self::assertSame(0, $this->command('resident:schema:push')->execute([]));
        self::assertSame(0, $check->execute([]));
        self::assertStringStartsWith('In sync: the server has the schema of these 4 classes', $check->getDisplay());
    }

    public function testStatusAndSnapshot(): void
    {
        AccountAggregateRoot::create()->open('Gus');
        $status = $this->command('resident:status');
        self::assertSame(0, $status->execute([]));
        self::assertStringContainsString('entities: Account 1', $status->getDisplay());
        $snapshot = $this->command('resident:snapshot');
        self::assertSame(0, $snapshot->execute([]));
        self::assertStringStartsWith('Snapshot at position 1: 1 entities', $snapshot->getDisplay());
    }

    public function testTheOperationsServiceTalksToTheConfiguredServer(): void
    {
        self::bootKernel();
        $resident = static::getContainer()->get(Operations::class);
        self::assertTrue($resident->ping());
        self::assertSame(self::resident()->socket, ini_get('resident.socket'), 'resident.yaml reads RESIDENT_SOCKET');
    }

    private function command(string $name): CommandTester
    {
        return new CommandTester((new Application(self::bootKernel()))->find($name));
    }
}
