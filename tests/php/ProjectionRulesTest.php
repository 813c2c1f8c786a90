<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Tests\Fixtures\Deposited;
use Resident\Tests\Fixtures\LimitHit;
use Resident\Tests\Fixtures\MoneyTransferred;
use Resident\Tests\Fixtures\OpenedAtCorrected;
use Resident\Tests\Fixtures\OwnerChanged;
use Resident\Tests\Fixtures\Tagged;
use Resident\Tests\Fixtures\Untagged;
use Resident\Tests\Fixtures\Wallet;
use Resident\Tests\Fixtures\WalletAggregateRoot;
use Resident\Tests\Fixtures\WalletClosed;
use Resident\Tests\Fixtures\Withdrawn;

/** Every projection operation, applied by the server and read back through the extension. */
final class ProjectionRulesTest extends TestCase
{
    public function testCreateSetsFieldsDefaultsAndMetadata(): void
    {
        $root = WalletAggregateRoot::create()->open('Ann');
        $wallet = Wallet::find($root->uuid());
        self::assertSame($root->uuid(), $wallet->code, 'the #[Id] field holds the aggregate uuid');
        self::assertSame('Ann', $wallet->owner);
        self::assertSame(0, $wallet->balance);
        self::assertSame([], $wallet->tags);
        self::assertSame(0.5, $wallet->rate);
        self::assertMatchesRegularExpression('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/', $wallet->openedAt);
        self::assertEqualsWithDelta(time(), strtotime($wallet->openedAt), 60);
    }

    public function testAddSubtractMinMax(): void
    {
        $root = WalletAggregateRoot::create()->open('Ben');
        $root->record(new Deposited(50, 50))->record(new Withdrawn(20, -5))->record(new Deposited(7, 3))->persist();
        $wallet = Wallet::find($root->uuid());
        self::assertSame(37, $wallet->balance);
        self::assertSame(50, $wallet->highest);
        self::assertSame(-5, $wallet->lowest);
    }

    public function testConstantsPushAndPull(): void
    {
        $root = WalletAggregateRoot::create()->open('Cid');
        $root->record(new LimitHit())->record(new LimitHit())
            ->record(new Tagged('a'))->record(new Tagged('b'))->record(new Tagged('a'))
            ->record(new Untagged('a'))->persist();
        $wallet = Wallet::find($root->uuid());
        self::assertSame(2, $wallet->limitHits);
        self::assertSame(['b'], $wallet->tags);
    }

    public function testOneEventChangesTwoEntities(): void
    {
        $from = WalletAggregateRoot::create()->open('Dan')->deposit(100);
        $to = WalletAggregateRoot::create()->open('Eli');
        $from->event(new MoneyTransferred($from->uuid(), $to->uuid(), 30));
        self::assertSame(70, Wallet::find($from->uuid())->balance);
        self::assertSame(30, Wallet::find($to->uuid())->balance);
        self::assertSame(70, $from->state()->balance, 'the answer carries the new state of the aggregate');
    }

    public function testUpsertCreatesThenUpdates(): void
    {
        $root = WalletAggregateRoot::create();
        $root->event(new OwnerChanged('Fay'));
        self::assertSame('Fay', Wallet::find($root->uuid())->owner);
        self::assertSame(0, Wallet::find($root->uuid())->balance);
        $root->event(new OwnerChanged('Gus'));
        self::assertSame('Gus', Wallet::find($root->uuid())->owner);
    }

    public function testANullPropertySetsANullableField(): void
    {
        $root = WalletAggregateRoot::create()->open('Ida');
        self::assertNotNull(Wallet::find($root->uuid())->openedAt);
        $root->event(new OpenedAtCorrected(null));
        self::assertNull(Wallet::find($root->uuid())->openedAt);
        $root->event(new OpenedAtCorrected('2026-01-01T00:00:00Z'));
        self::assertSame('2026-01-01T00:00:00Z', Wallet::find($root->uuid())->openedAt);
    }

    public function testDelete(): void
    {
        $root = WalletAggregateRoot::create()->open('Hal');
        $count = Wallet::count();
        $root->event(new WalletClosed());
        self::assertNull(Wallet::find($root->uuid()));
        self::assertNull($root->state());
        self::assertSame($count - 1, Wallet::count());
        self::assertSame(2, $root->version(), 'the stream lives on after its entity is deleted');
    }
}
