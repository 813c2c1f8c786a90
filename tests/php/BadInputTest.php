<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use App\BalanceIncreased;
use PHPUnit\Framework\TestCase;
use Resident\Exception\BadRequestException;
use Resident\Exception\NotFound;
use Resident\Exception\ResidentException;
use Resident\Exception\SchemaException;
use Resident\Tests\Fixtures\Deposited;
use Resident\Tests\Fixtures\EventWithoutRules;
use Resident\Tests\Fixtures\NoteAttached;
use Resident\Tests\Fixtures\NotAnEntity;
use Resident\Tests\Fixtures\OwnerRenumbered;
use Resident\Tests\Fixtures\UnknownField;
use Resident\Tests\Fixtures\Wallet;
use Resident\Tests\Fixtures\WalletAggregateRoot;
use TypeError;

/** Bad input from PHP gets a clear exception and changes nothing on the server. */
final class BadInputTest extends TestCase
{
    private WalletAggregateRoot $root;
    private array $before;

    protected function setUp(): void
    {
        $this->root = WalletAggregateRoot::create()->open('Zed')->deposit(10);
        $this->before = [get_object_vars(Wallet::find($this->root->uuid())), Wallet::count(), $this->root->version()];
    }

    protected function tearDown(): void
    {
        $fresh = WalletAggregateRoot::find($this->root->uuid());
        self::assertSame(
            $this->before,
            [get_object_vars(Wallet::find($this->root->uuid())), Wallet::count(), $fresh->version()],
            'a refused request changed the server state',
        );
    }

    public function testWrongPropertyTypeInPhp(): void
    {
        $this->expectException(TypeError::class);
        $this->root->event(new BalanceIncreased('ten'));
    }

    public function testWrongFieldTypeOnTheServer(): void
    {
        try {
            $this->root->event(new OwnerRenumbered(7));
            self::fail('an int was written into a string field');
        } catch (BadRequestException $e) {
            self::assertSame('bad_request', $e->errorCode());
            self::assertStringContainsString('owner', $e->getMessage());
        }
    }

    public function testAValueThatCannotGoOnTheWire(): void
    {
        $this->expectException(BadRequestException::class);
        $this->expectExceptionMessage('note');
        $this->root->event(new NoteAttached(new \stdClass()));
    }

    public function testEventClassWithoutRules(): void
    {
        $this->expectException(SchemaException::class);
        $this->expectExceptionMessage('EventWithoutRules has no projection rules');
        $this->root->event(new EventWithoutRules(1));
    }

    public function testRuleOnAClassThatIsNotAnEntity(): void
    {
        $this->expectException(SchemaException::class);
        $this->expectExceptionMessage('stdClass is not an entity');
        $this->root->event(new NotAnEntity());
    }

    public function testRuleOnAFieldTheEntityLacks(): void
    {
        $this->expectException(SchemaException::class);
        $this->expectExceptionMessage('bonus');
        $this->root->event(new UnknownField(1));
    }

    public function testUpdatingAnEntityThatDoesNotExist(): void
    {
        $this->expectException(NotFound::class);
        WalletAggregateRoot::create()->event(new Deposited(5));
    }

    public function testCreatingAnEntityTwice(): void
    {
        $this->expectException(BadRequestException::class);
        $this->expectExceptionMessage('already exists');
        $this->root->open('Again');
    }

    public function testOverflowIsRefused(): void
    {
        $this->expectException(BadRequestException::class);
        $this->root->event(new Deposited(PHP_INT_MAX));
    }

    public function testAFailedPersistKeepsTheRecordedEvents(): void
    {
        $this->root->record(new Deposited(1))->record(new OwnerRenumbered(3));
        try {
            $this->root->persist();
            self::fail('persist() of a bad batch succeeded');
        } catch (ResidentException) {
        }
        self::assertSame($this->before[2], $this->root->version());
    }

    public function testAggregateRootsAreMadeByCreateOrFind(): void
    {
        $this->expectException(\Throwable::class);
        $this->expectExceptionMessageMatches('/create\(\)|find\(\)/');
        new AccountAggregateRoot();
    }

    public function testTheAccountTableIsUntouchedByWalletFailures(): void
    {
        self::assertIsInt(Account::count());
    }
}
