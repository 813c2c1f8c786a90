<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use App\AccountsController;
use App\BalanceController;
use PHPUnit\Framework\TestCase;
use Resident\Exception\NotFound;

/** The bank story, through the write and read paths of docs/ARCHITECTURE.md: open accounts, increase balances, read them back from server memory. */
final class BankStoryTest extends TestCase
{
    public function testOpenIncreaseAndReadBack(): void
    {
        $before = Account::count();
        $root = AccountAggregateRoot::create();
        self::assertSame(0, $root->version());
        self::assertNull($root->state());
        $root->open('Alice')->increaseBalance(10);

        self::assertSame(2, $root->version());
        self::assertMatchesRegularExpression('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $root->uuid());
        $state = $root->state();
        self::assertInstanceOf(Account::class, $state);
        self::assertSame('Alice', $state->name);
        self::assertSame(10, $state->balance);
        self::assertSame($root->uuid(), $state->uuid);

        self::assertSame($before + 1, Account::count());
        $found = Account::find($root->uuid());
        self::assertInstanceOf(Account::class, $found);
        self::assertSame(['uuid' => $root->uuid(), 'name' => 'Alice', 'balance' => 10], get_object_vars($found));

        $all = Account::all();
        self::assertCount($before + 1, $all);
        self::assertContainsOnlyInstancesOf(Account::class, $all);
        $mine = array_values(array_filter($all, static fn (Account $a): bool => $a->uuid === $root->uuid()));
        self::assertCount(1, $mine);
        self::assertSame(10, $mine[0]->balance);
    }

    public function testFindTheAggregateByUuidOrByItsStateAndContinue(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Bob')->uuid();

        $byUuid = AccountAggregateRoot::find($uuid);
        self::assertSame(1, $byUuid->version());
        self::assertSame('Bob', $byUuid->state()->name);
        $byUuid->increaseBalance(5);

        $account = Account::find($uuid);
        $byState = AccountAggregateRoot::find($account);
        self::assertSame(2, $byState->version());
        self::assertSame(5, $byState->state()->balance);
        $byState->increaseBalance(7);
        self::assertSame(12, Account::find($uuid)->balance);
    }

    public function testCreateWithAGivenUuid(): void
    {
        $uuid = '3f0e4a7c-1b2d-4c5e-8f90-a1b2c3d4e5f6';
        if (Account::find($uuid) === null) {
            AccountAggregateRoot::create($uuid)->open('Given');
        }
        self::assertSame('Given', Account::find($uuid)->name);
    }

    public function testRecordedEventsArePersistedTogether(): void
    {
        $root = AccountAggregateRoot::create();
        $root->record(new \App\AccountOpened('Dora'));
        $root->record(new \App\BalanceIncreased(3));
        $root->record(new \App\BalanceIncreased(4));
        self::assertNull(Account::find($root->uuid()), 'recorded events are not committed before persist()');
        $root->persist();
        self::assertSame(3, $root->version());
        self::assertSame(7, $root->state()->balance);
        self::assertSame(7, Account::find($root->uuid())->balance);
    }

    public function testUnknownAggregateIsNotFound(): void
    {
        $this->expectException(NotFound::class);
        $this->expectExceptionMessage('00000000-0000-4000-8000-000000000000');
        AccountAggregateRoot::find('00000000-0000-4000-8000-000000000000');
    }

    public function testUnknownEntityIsNull(): void
    {
        self::assertNull(Account::find('00000000-0000-4000-8000-00000000dead'));
    }

    public function testTheExampleControllers(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Eve')->uuid();
        (new BalanceController())->increase($uuid, ['amount' => '25']);
        self::assertSame(25, Account::find($uuid)->balance);
        $page = (new AccountsController())->index();
        self::assertStringContainsString('Eve', $page);
        self::assertStringContainsString('/accounts/' . $uuid . '/increase', $page);
    }
}
