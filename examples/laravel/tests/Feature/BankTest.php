<?php

namespace Tests\Feature;

use App\Account;
use App\AccountAggregateRoot;
use Illuminate\Support\Facades\Artisan;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Route;
use Resident\ErrorContext;
use Resident\Laravel\Facades\Resident;
use Tests\TestCase;

/** The bank through Laravel's HTTP test client, against a real residentd and the real extension. */
final class BankTest extends TestCase
{
    public function testTheListShowsEveryAccountFromResidentd(): void
    {
        AccountAggregateRoot::create()->open('Alice')->increaseBalance(100);
        AccountAggregateRoot::create()->open('Bob');

        $this->get('/')
            ->assertOk()
            ->assertSee(['2 accounts', 'Bob'])
            ->assertSeeInOrder(['Alice', '100']);
    }

    public function testIncreaseBindsTheAccountFromTheUrlAndRecordsAnEvent(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Carol')->uuid();

        $this->post("/accounts/$uuid/increase/25")->assertOk();
        $this->post("/accounts/$uuid/increase/5")->assertOk();

        self::assertSame(30, Account::find($uuid)->balance);
        self::assertSame(3, AccountAggregateRoot::find($uuid)->version());
        $this->get('/')->assertSeeInOrder(['Carol', '30']);
    }

    public function testAnAccountThatDoesNotExistIsA404(): void
    {
        $this->post('/accounts/2f1c7a1e-0000-4000-8000-000000000000/increase/10')->assertNotFound();
        $this->postJson('/accounts/unknown/increase/10')
            ->assertNotFound()
            ->assertJson(['message' => 'No Account with id unknown.']);
        $this->post('/accounts/' . AccountAggregateRoot::create()->open('Dan')->uuid() . '/increase/0')->assertNotFound();
    }

    public function testTheFormOpensAnAccount(): void
    {
        $this->post('/accounts', ['name' => 'Erin'])->assertRedirect('/');
        $this->post('/accounts', ['name' => ''])->assertSessionHasErrors('name');

        self::assertSame(['Erin'], array_map(fn (Account $a) => $a->name, Account::all()));
    }

    public function testAConflictIsA409AndIsLoggedWithItsContext(): void
    {
        config(['logging.default' => 'test']);
        $uuid = AccountAggregateRoot::create()->open('Fay')->uuid();
        // Two requests that loaded the same version, the second one writing last.
        Route::post('/race', function () use ($uuid) {
            $first = AccountAggregateRoot::find($uuid);
            AccountAggregateRoot::find($uuid)->increaseBalance(1);
            $first->increaseBalance(2);
        });

        $this->postJson('/race')->assertStatus(409)->assertJson(['message' => ErrorContext::CONFLICT_MESSAGE]);

        $records = Log::getLogger()->getHandlers()[0]->getRecords();
        self::assertCount(1, $records);
        self::assertSame('WARNING', $records[0]['level_name']);
        self::assertSame([
            'code' => 'conflict',
            'socket' => self::resident()->socket,
            'stream' => "AccountAggregateRoot-$uuid",
            'expected_version' => 1,
            'actual_version' => 2,
        ], $records[0]['context']['resident']);
        self::assertSame(1, Resident::retry(fn () => Account::find($uuid)->balance), 'the first write stands');
    }

    public function testTheArtisanCommandsCheckAndPushTheSchemaAndShowTheStatus(): void
    {
        self::assertSame(1, Artisan::call('resident:schema:check'));
        self::assertSame(
            "+ entity Account: uuid string, name string, balance int = 0; index balance\n"
            . "+ event AccountOpened: create Account (stream id): name set prop name\n"
            . "+ event BalanceIncreased: update Account (stream id): balance add prop amount\n"
            . "Not pushed yet: run resident:schema:push to register it (schema version 0 now).\n",
            Artisan::output(),
        );
        self::assertSame(0, Artisan::call('resident:schema:push'));
        self::assertSame(0, Artisan::call('resident:schema:check'));
        self::assertStringStartsWith('In sync: the server has the schema of these 4 classes', Artisan::output());

        AccountAggregateRoot::create()->open('Gus');
        self::assertSame(0, Artisan::call('resident:status'));
        self::assertStringContainsString('entities: Account 1', Artisan::output());
        self::assertSame(0, Artisan::call('resident:snapshot'));
        self::assertStringStartsWith('Snapshot at position 1: 1 entities', Artisan::output());
    }
}
