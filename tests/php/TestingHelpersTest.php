<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use App\AccountOpened;
use App\BalanceIncreased;
use InvalidArgumentException;
use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\TestCase;
use Resident\Exception\NotFound;
use Resident\Testing\AggregateScenario;
use Resident\Testing\RefreshResident;

/** php-lib's test helpers, on the bank: aggregate scenarios, and a fresh server for every test. */
final class TestingHelpersTest extends TestCase
{
    use RefreshResident;

    public function testAScenarioChecksTheEventsACommandRecordsAndTheState(): void
    {
        $scenario = AggregateScenario::for(AccountAggregateRoot::class)
            ->given(new AccountOpened('Alice'), new BalanceIncreased(10))
            ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(5))
            ->then(new BalanceIncreased(5))
            ->thenState(['name' => 'Alice', 'balance' => 15]);
        self::assertSame(15, Account::find($scenario->uuid())->balance, 'on the real server');
    }

    public function testWithNothingGivenTheCommandGetsANewAggregate(): void
    {
        AggregateScenario::for(AccountAggregateRoot::class)
            ->when(fn (AccountAggregateRoot $account) => $account->open('Bob'))
            ->then(new AccountOpened('Bob'))
            ->thenState(['name' => 'Bob', 'balance' => 0]);
    }

    public function testARefusedCommandThrowsAndRecordsNothing(): void
    {
        AggregateScenario::for(AccountAggregateRoot::class)
            ->given(new AccountOpened('Carol'))
            ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(0))
            ->thenThrows(InvalidArgumentException::class, 'must be positive')
            ->thenState(['balance' => 0]);

        // The server's refusals too: an update of an account that was never opened.
        AggregateScenario::for(AccountAggregateRoot::class)
            ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(3))
            ->thenThrows(NotFound::class);
    }

    public function testACommandThatDecidesNothingRecordsNothing(): void
    {
        AggregateScenario::for(AccountAggregateRoot::class)
            ->given(new AccountOpened('Dan'))
            ->when(fn (AccountAggregateRoot $account) => $account->persist())
            ->thenNothing();
    }

    /** @return iterable<string, array{callable(AggregateScenario): mixed, string}> */
    public static function failingScenarios(): iterable
    {
        yield 'other events' => [fn (AggregateScenario $s) => $s->then(new BalanceIncreased(6)), 'differ from those expected'];
        yield 'events, not nothing' => [fn (AggregateScenario $s) => $s->thenNothing(), 'differ from those expected'];
        yield 'no exception' => [fn (AggregateScenario $s) => $s->thenThrows(InvalidArgumentException::class), 'threw nothing'];
        yield 'another state' => [fn (AggregateScenario $s) => $s->thenState(['balance' => 99]), 'state of App\AccountAggregateRoot'];
    }

    /**
     * @dataProvider failingScenarios
     * @param callable(AggregateScenario): mixed $then
     */
    public function testAScenarioFailsWhenTheOutcomeDiffers(callable $then, string $message): void
    {
        $scenario = AggregateScenario::for(AccountAggregateRoot::class)
            ->given(new AccountOpened('Eve'))
            ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(5));
        $this->expectException(AssertionFailedError::class);
        $this->expectExceptionMessage($message);
        $then($scenario);
    }

    public function testAnExceptionTheTestDidNotExpectFailsTheScenario(): void
    {
        $scenario = AggregateScenario::for(AccountAggregateRoot::class)
            ->when(fn (AccountAggregateRoot $account) => $account->open(''));
        $this->expectException(AssertionFailedError::class);
        $this->expectExceptionMessage('the command threw InvalidArgumentException: An account needs a name.');
        $scenario->then(new AccountOpened(''));
    }

    /** Two tests that each find an empty server: the order they run in does not matter. */
    public function testEveryTestStartsOnAnEmptyServer(): void
    {
        self::assertSame(0, \Resident\stats()['position']);
        AccountAggregateRoot::create()->open('Left behind');
    }

    public function testEveryTestStartsOnAnEmptyServerToo(): void
    {
        self::assertSame(0, \Resident\stats()['position']);
        AccountAggregateRoot::create()->open('Left behind');
    }

    public function testTheServerRestartsWithItsDataAndLogs(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Kept')->uuid();
        self::resident()->restart();
        self::assertSame('Kept', Account::find($uuid)->name);
        self::assertStringContainsString('state loaded', self::resident()->log());
    }
}
