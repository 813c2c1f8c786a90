<?php

namespace App\Tests\Controller;

use App\Account;
use App\AccountAggregateRoot;
use Resident\ErrorContext;
use Resident\Testing\RefreshResident;
use Symfony\Bundle\FrameworkBundle\Test\WebTestCase;

/** The bank through Symfony's KernelBrowser, against a real residentd and the real extension. */
final class BankTest extends WebTestCase
{
    use RefreshResident;

    public function testTheListShowsEveryAccountFromResidentd(): void
    {
        $client = static::createClient();
        AccountAggregateRoot::create()->open('Alice')->increaseBalance(100);
        AccountAggregateRoot::create()->open('Bob');

        $client->request('GET', '/');

        self::assertResponseIsSuccessful();
        self::assertSelectorTextContains('p', '2 accounts');
        $rows = $client->getCrawler()->filter('tr')->each(fn ($row) => $row->filter('td')->each(fn ($cell) => $cell->text()));
        self::assertContains(['Alice', '100', '+10 +100'], $rows);
        self::assertContains(['Bob', '0', '+10 +100'], $rows);
    }

    public function testIncreaseResolvesTheAccountFromTheUrlAndRecordsAnEvent(): void
    {
        $client = static::createClient();
        $uuid = AccountAggregateRoot::create()->open('Carol')->uuid();

        $client->request('POST', "/accounts/$uuid/increase/25");
        self::assertResponseStatusCodeSame(204);
        $client->request('POST', "/accounts/$uuid/increase/5");

        self::assertSame(30, Account::find($uuid)->balance);
        self::assertSame(3, AccountAggregateRoot::find($uuid)->version());
    }

    public function testAnAccountThatDoesNotExistIsA404(): void
    {
        $client = static::createClient();
        $client->request('POST', '/accounts/2f1c7a1e-0000-4000-8000-000000000000/increase/10');
        self::assertResponseStatusCodeSame(404);
        self::assertStringContainsString('No Account with id 2f1c7a1e-0000-4000-8000-000000000000.', $client->getResponse()->getContent());

        $uuid = AccountAggregateRoot::create()->open('Dan')->uuid();
        $client->request('POST', "/accounts/$uuid/increase/0");
        self::assertResponseStatusCodeSame(404, 'the route takes positive amounts only');
    }

    public function testTheFormOpensAnAccount(): void
    {
        $client = static::createClient();
        $client->request('POST', '/accounts', ['name' => 'Erin']);
        self::assertResponseRedirects('/');
        $client->request('POST', '/accounts', ['name' => '']);
        self::assertResponseStatusCodeSame(422);

        self::assertSame(['Erin'], array_map(fn (Account $a) => $a->name, Account::all()));
    }

    public function testAConflictIsA409AndIsLoggedWithItsContext(): void
    {
        $client = static::createClient();
        $uuid = AccountAggregateRoot::create()->open('Fay')->uuid();

        $client->request('POST', "/race/$uuid");

        self::assertResponseStatusCodeSame(409);
        self::assertStringContainsString(ErrorContext::CONFLICT_MESSAGE, $client->getResponse()->getContent());
        $logged = array_values(array_filter(
            static::getContainer()->get('logger')->records,
            fn (array $record) => isset($record['context']['resident']),
        ));
        self::assertCount(1, $logged);
        self::assertSame('warning', $logged[0]['level']);
        self::assertSame([
            'code' => 'conflict',
            'socket' => self::resident()->socket,
            'stream' => "AccountAggregateRoot-$uuid",
            'expected_version' => 1,
            'actual_version' => 2,
        ], $logged[0]['context']['resident']);
        self::assertSame(1, Account::find($uuid)->balance, 'the first write stands');
    }
}
