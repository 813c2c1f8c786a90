<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use Closure;
use PHPUnit\Framework\TestCase;
use Resident\Exception\BadRequestException;
use Resident\Exception\QueryException;
use Resident\Query\Builder;
use Resident\Tests\Fixtures\Customer;
use Resident\Tests\Fixtures\CustomerAggregateRoot;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/**
 * Queries answered by residentd, checked against the same filtering, ordering and
 * aggregation done in PHP over Customer::all(). Customer indexes name and balance only,
 * so both index plans and scans run.
 */
final class QueryTest extends TestCase
{
    private const NAMES = ['Ann', 'Anna', 'Arno', 'Bea', 'Bob', 'Cleo', 'Dan', 'Dora', 'Eve', 'Ivo', 'Zoë', 'Ängel'];
    private const BALANCES = [-50, 0, 10, 50, 100, 150, 200, 1000];
    private const CITIES = [null, 'Oslo', 'Lima', 'Rome'];
    private const RATES = [0.0, 0.5, 1.25, 2.0];

    public static function setUpBeforeClass(): void
    {
        if (Customer::count() > 0) {
            return;
        }
        mt_srand(42);
        for ($i = 0; $i < 150; $i++) {
            CustomerAggregateRoot::create()->join(
                self::NAMES[mt_rand(0, count(self::NAMES) - 1)],
                self::BALANCES[mt_rand(0, count(self::BALANCES) - 1)],
                mt_rand(0, 20),
                self::CITIES[mt_rand(0, count(self::CITIES) - 1)],
                self::RATES[mt_rand(0, count(self::RATES) - 1)],
                mt_rand(0, 1) === 1,
            );
        }
    }

    /** @return array<string, array{Closure(): Builder, Closure(Customer): bool}> */
    public static function filters(): array
    {
        return [
            '= on an indexed int' => [
                fn () => Customer::where('balance', '=', 100),
                fn (Customer $c) => $c->balance === 100,
            ],
            'shorthand = on an indexed string' => [
                fn () => Customer::where('name', 'Bob'),
                fn (Customer $c) => $c->name === 'Bob',
            ],
            '= on an unindexed int' => [
                fn () => Customer::query()->where('score', 7),
                fn (Customer $c) => $c->score === 7,
            ],
            '!= on a nullable string (null never matches)' => [
                fn () => Customer::where('city', '!=', 'Oslo'),
                fn (Customer $c) => $c->city !== null && $c->city !== 'Oslo',
            ],
            '< on an indexed int' => [
                fn () => Customer::where('balance', '<', 50),
                fn (Customer $c) => $c->balance < 50,
            ],
            '<= on an unindexed int' => [
                fn () => Customer::where('score', '<=', 7),
                fn (Customer $c) => $c->score <= 7,
            ],
            '> on an indexed int' => [
                fn () => Customer::where('balance', '>', 100),
                fn (Customer $c) => $c->balance > 100,
            ],
            '>= on an unindexed float' => [
                fn () => Customer::where('rate', '>=', 1.25),
                fn (Customer $c) => $c->rate >= 1.25,
            ],
            'an int field against a float' => [
                fn () => Customer::where('balance', '>', 49.5),
                fn (Customer $c) => $c->balance > 49.5,
            ],
            'a float field against an int' => [
                fn () => Customer::where('rate', '<', 1),
                fn (Customer $c) => $c->rate < 1,
            ],
            '> on an indexed string (bytewise)' => [
                fn () => Customer::where('name', '>', 'Dan'),
                fn (Customer $c) => strcmp($c->name, 'Dan') > 0,
            ],
            '<= on an unindexed string' => [
                fn () => Customer::where('city', '<=', 'Oslo'),
                fn (Customer $c) => $c->city !== null && strcmp($c->city, 'Oslo') <= 0,
            ],
            'like prefix on an indexed string' => [
                fn () => Customer::where('name', 'like', 'An%'),
                fn (Customer $c) => str_starts_with($c->name, 'An'),
            ],
            'like suffix' => [
                fn () => Customer::where('name', 'like', '%a'),
                fn (Customer $c) => str_ends_with($c->name, 'a'),
            ],
            'like with _ on an unindexed string' => [
                fn () => Customer::where('city', 'like', '_ima'),
                fn (Customer $c) => $c->city === 'Lima',
            ],
            'like in the middle' => [
                fn () => Customer::where('city', 'like', '%om%'),
                fn (Customer $c) => $c->city !== null && str_contains($c->city, 'om'),
            ],
            'whereIn on an indexed int' => [
                fn () => Customer::whereIn('balance', [10, 200, 7]),
                fn (Customer $c) => in_array($c->balance, [10, 200, 7], true),
            ],
            'whereIn on an unindexed string' => [
                fn () => Customer::whereIn('city', ['Oslo', 'Lima']),
                fn (Customer $c) => in_array($c->city, ['Oslo', 'Lima'], true),
            ],
            'in through where()' => [
                fn () => Customer::where('name', 'in', ['Ann', 'Zoë']),
                fn (Customer $c) => in_array($c->name, ['Ann', 'Zoë'], true),
            ],
            'whereNotIn (null never matches)' => [
                fn () => Customer::whereNotIn('city', ['Oslo']),
                fn (Customer $c) => $c->city !== null && $c->city !== 'Oslo',
            ],
            'not in through where()' => [
                fn () => Customer::where('score', 'not in', [1, 2, 3]),
                fn (Customer $c) => !in_array($c->score, [1, 2, 3], true),
            ],
            'whereNull' => [
                fn () => Customer::whereNull('city'),
                fn (Customer $c) => $c->city === null,
            ],
            'where(field, null) is whereNull' => [
                fn () => Customer::where('city', null),
                fn (Customer $c) => $c->city === null,
            ],
            'whereNotNull' => [
                fn () => Customer::whereNotNull('city'),
                fn (Customer $c) => $c->city !== null,
            ],
            'a bool' => [
                fn () => Customer::where('vip', true),
                fn (Customer $c) => $c->vip,
            ],
            'the id field' => [
                fn () => Customer::where('uuid', '>', '8'),
                fn (Customer $c) => strcmp($c->uuid, '8') > 0,
            ],
            'and' => [
                fn () => Customer::where('balance', '>=', 50)->where('score', '<', 10),
                fn (Customer $c) => $c->balance >= 50 && $c->score < 10,
            ],
            'orWhere' => [
                fn () => Customer::where('balance', '>', 500)->orWhere('score', 0),
                fn (Customer $c) => $c->balance > 500 || $c->score === 0,
            ],
            'and binds tighter than or' => [
                fn () => Customer::where('vip', true)->where('balance', '>', 0)->orWhere('city', 'Rome')->where('score', '>', 10),
                fn (Customer $c) => ($c->vip && $c->balance > 0) || ($c->city === 'Rome' && $c->score > 10),
            ],
            'a closure group' => [
                fn () => Customer::where('vip', true)->where(fn (Builder $q) => $q->where('city', 'Oslo')->orWhere('balance', '<', 0)),
                fn (Customer $c) => $c->vip && ($c->city === 'Oslo' || $c->balance < 0),
            ],
            'a closure group as the shortcut' => [
                fn () => Customer::where(fn (Builder $q) => $q->where('name', 'Eve')->orWhere('name', 'Ivo'))->where('score', '>', 5),
                fn (Customer $c) => in_array($c->name, ['Eve', 'Ivo'], true) && $c->score > 5,
            ],
            'orWhere with a group' => [
                fn () => Customer::where('balance', 1000)->orWhere(fn (Builder $q) => $q->whereNull('city')->where('score', '>', 15)),
                fn (Customer $c) => $c->balance === 1000 || ($c->city === null && $c->score > 15),
            ],
            'nothing matches' => [
                fn () => Customer::where('balance', '>', 10_000),
                fn (Customer $c) => false,
            ],
            'no filter' => [
                fn () => Customer::query(),
                fn (Customer $c) => true,
            ],
        ];
    }

    /** @dataProvider filters */
    public function testFiltersMatchPhp(Closure $query, Closure $predicate): void
    {
        $expected = array_values(array_filter(Customer::all(), $predicate));
        $builder = $query();
        self::assertSame(Customer::class, $builder->entityClass());
        self::assertSameRows($expected, $builder->get());
        self::assertSame(count($expected), $query()->count());
        self::assertSame($expected !== [], $query()->exists());
        self::assertSame(array_column(array_map('get_object_vars', $expected), 'name'), $query()->pluck('name'));
    }

    /** @dataProvider filters */
    public function testAggregatesMatchPhp(Closure $query, Closure $predicate): void
    {
        $rows = array_values(array_filter(Customer::all(), $predicate));
        $balances = array_map(static fn (Customer $c): int => $c->balance, $rows);
        $rates = array_map(static fn (Customer $c): float => $c->rate, $rows);
        $names = array_map(static fn (Customer $c): string => $c->name, $rows);
        usort($names, 'strcmp');

        self::assertSame(array_sum($balances), $query()->sum('balance'), 'sum of an int field is an int');
        self::assertEqualsWithDelta(array_sum($rates), $query()->sum('rate'), 1e-9);
        self::assertSame($rows === [] ? null : min($balances), $query()->min('balance'));
        self::assertSame($rows === [] ? null : max($balances), $query()->max('balance'));
        self::assertSame($rows === [] ? null : min($rates), $query()->min('rate'));
        self::assertSame($names === [] ? null : $names[0], $query()->min('name'), 'min of a string field, bytewise');
        self::assertSame($names === [] ? null : $names[count($names) - 1], $query()->max('name'));
        $avg = $query()->avg('balance');
        if ($rows === []) {
            self::assertNull($avg);
        } else {
            self::assertEqualsWithDelta(array_sum($balances) / count($balances), $avg, 1e-9);
        }
    }

    /** @return array<string, array{list<array{string, string}>}> */
    public static function orders(): array
    {
        return [
            'indexed int desc' => [[['balance', 'desc']]],
            'indexed string asc' => [[['name', 'asc']]],
            'unindexed int asc' => [[['score', 'asc']]],
            'two fields' => [[['name', 'asc'], ['balance', 'desc']]],
            'unindexed float then int' => [[['rate', 'desc'], ['score', 'asc']]],
            'the id field desc' => [[['uuid', 'desc']]],
        ];
    }

    /** @dataProvider orders */
    public function testOrderLimitAndOffsetMatchPhp(array $order): void
    {
        $sorted = self::sorted(Customer::all(), $order);
        $query = static function () use ($order): Builder {
            $q = Customer::query();
            foreach ($order as [$field, $dir]) {
                $q->orderBy($field, $dir);
            }
            return $q;
        };
        self::assertSameRows($sorted, $query()->get());
        self::assertSameRows(array_slice($sorted, 20, 10), $query()->limit(10)->offset(20)->get());
        self::assertSameRows(array_slice($sorted, 0, 5), $query()->limit(5)->get());
        self::assertSameRows(array_slice($sorted, 140), $query()->offset(140)->get());
        self::assertSameRows([$sorted[0]], [$query()->first()]);
        self::assertSame(array_map(static fn (Customer $c): int => $c->score, $sorted), $query()->pluck('score'));

        $filtered = array_values(array_filter($sorted, static fn (Customer $c): bool => $c->balance >= 100));
        self::assertSameRows(array_slice($filtered, 3, 4), $query()->where('balance', '>=', 100)->offset(3)->limit(4)->get());
    }

    public function testTheIssueExample(): void
    {
        $expected = array_values(array_filter(
            Customer::all(),
            static fn (Customer $c): bool => $c->balance > 100 && str_starts_with($c->name, 'A'),
        ));
        $expected = array_slice(self::sorted($expected, [['balance', 'desc']]), 2, 3);
        $actual = Customer::where('balance', '>', 100)->where('name', 'like', 'A%')->orderBy('balance', 'desc')->limit(3)->offset(2)->get();
        self::assertSameRows($expected, $actual);
        self::assertNull(Customer::where('balance', '>', 10_000)->first());
    }

    /** @dataProvider orders */
    public function testPaginationWalksEveryRowOnce(array $order): void
    {
        $expected = self::sorted(Customer::all(), $order);
        $query = static function () use ($order): Builder {
            $q = Customer::query();
            foreach ($order as [$field, $dir]) {
                $q->orderBy($field, $dir);
            }
            return $q;
        };

        $walked = [];
        $last = null;
        do {
            $q = $query()->limit(7);
            $page = ($last === null ? $q : $q->after($last))->get();
            array_push($walked, ...$page);
            $last = $page === [] ? null : $page[count($page) - 1];
        } while ($last !== null);
        self::assertSameRows($expected, $walked, 'after($last) pages');

        $walked = [];
        $cursor = null;
        $pages = 0;
        do {
            $page = $query()->paginate(7, $cursor);
            self::assertLessThanOrEqual(7, count($page));
            array_push($walked, ...$page->items());
            $cursor = $page->nextCursor();
            $pages++;
        } while ($cursor !== null);
        self::assertSameRows($expected, $walked, 'cursor pages');
        self::assertGreaterThanOrEqual(intdiv(count($expected), 7), $pages);

        self::assertSameRows($expected, iterator_to_array($query()->lazy(11), false), 'lazy()');
    }

    public function testACursorOnlyFitsItsOwnOrder(): void
    {
        $cursor = Customer::orderBy('balance', 'desc')->paginate(5)->nextCursor();
        self::assertIsString($cursor);
        try {
            Customer::orderBy('score')->paginate(5, $cursor);
            self::fail('a cursor of another order was accepted');
        } catch (QueryException $e) {
            self::assertStringContainsString('balance desc', $e->getMessage());
        }
        $this->expectException(QueryException::class);
        Customer::query()->afterCursor('not a cursor');
    }

    public function testCursorPaginationWhileAnotherProcessCommits(): void
    {
        $this->walkWhileAnotherProcessCommits('Pageville', static function (): array {
            $walked = [];
            $cursor = null;
            do {
                $page = Customer::where('city', 'Pageville')->orderBy('balance', 'desc')->paginate(4, $cursor);
                array_push($walked, ...$page->items());
                $cursor = $page->nextCursor();
                usleep(3000);
            } while ($cursor !== null);
            return [$walked, [['balance', 'desc']]];
        });
    }

    public function testAfterPaginationWhileAnotherProcessCommits(): void
    {
        $this->walkWhileAnotherProcessCommits('Afterville', static function (): array {
            $walked = [];
            $last = null;
            do {
                $query = Customer::where('city', 'Afterville')->orderBy('rate')->orderBy('name', 'desc')->limit(4);
                $page = ($last === null ? $query : $query->after($last))->get();
                array_push($walked, ...$page);
                $last = $page === [] ? null : $page[count($page) - 1];
                usleep(3000);
            } while ($last !== null);
            return [$walked, [['rate', 'asc'], ['name', 'desc']]];
        });
    }

    /** @param Closure(): array{list<Customer>, list<array{string, string}>} $walk */
    private function walkWhileAnotherProcessCommits(string $city, Closure $walk): void
    {
        mt_srand(crc32($city));
        $ids = [];
        for ($i = 0; $i < 75; $i++) {
            $ids[] = CustomerAggregateRoot::create()
                ->join(self::NAMES[$i % count(self::NAMES)], self::BALANCES[$i % count(self::BALANCES)], $i % 5, $city, self::RATES[$i % 4])
                ->uuid();
        }
        $stable = array_slice($ids, 0, 60);
        $volatile = array_slice($ids, 60);
        $barrier = sys_get_temp_dir() . '/resident-query-' . bin2hex(random_bytes(4));
        mkdir($barrier);
        file_put_contents("$barrier/plan.json", json_encode(['stable' => $stable, 'volatile' => $volatile]));
        $writer = ChildProcess::start(TestServer::shared()->socket, dirname(__DIR__) . '/scripts/query-writer.php', [$barrier, $city]);
        $deadline = microtime(true) + 10;
        while (!file_exists("$barrier/started") && microtime(true) < $deadline) {
            usleep(1000);
        }
        try {
            $positionBefore = \Resident\stats()['position'];
            [$walked, $order] = $walk();
            $positionAfter = \Resident\stats()['position'];
        } finally {
            // Stop the writer even when the walk failed: it must not write into later tests.
            touch("$barrier/stop");
            $output = $writer->wait();
            exec('rm -rf ' . escapeshellarg($barrier));
        }
        $writes = json_decode($output, true, 512, JSON_THROW_ON_ERROR);

        self::assertGreaterThan($positionBefore, $positionAfter, 'the other process committed during the walk');
        self::assertNotEmpty($writes['inserted']);
        $seen = array_map(static fn (Customer $c): string => $c->uuid, $walked);
        self::assertSame(count($seen), count(array_unique($seen)), 'no row was seen twice');
        $counts = array_count_values($seen);
        foreach ($stable as $uuid) {
            self::assertSame(1, $counts[$uuid] ?? 0, "stable row $uuid seen exactly once");
        }
        $known = array_flip([...$ids, ...$writes['inserted']]);
        foreach ($seen as $uuid) {
            self::assertArrayHasKey($uuid, $known, 'only rows of this city were walked');
        }
        // The order fields do not change while walking, so the walk is in order.
        self::assertSame(
            array_map(static fn (Customer $c): string => $c->uuid, self::sorted($walked, $order)),
            $seen,
        );
    }

    public function testExplainShowsTheIndexOrAScan(): void
    {
        $range = Customer::where('balance', '>', 100)->explain();
        self::assertSame('balance', $range['index']);
        self::assertSame('range', $range['kind']);
        self::assertIsString($range['text']);

        $equality = Customer::where('name', 'Bob')->explain();
        self::assertSame('name', $equality['index']);
        self::assertSame('equality', $equality['kind']);

        $prefix = Customer::where('name', 'like', 'An%')->explain();
        self::assertSame('name', $prefix['index']);
        self::assertSame('prefix', $prefix['kind']);

        $scan = Customer::where('score', '>', 5)->explain();
        self::assertNull($scan['index']);
        self::assertSame('scan', $scan['kind']);
    }

    public function testResultsAreObjectsOfTheCalledClass(): void
    {
        $rows = Customer::where('balance', '>=', 0)->limit(3)->get();
        self::assertCount(3, $rows);
        self::assertContainsOnlyInstancesOf(Customer::class, $rows);
        self::assertEquals(Customer::find($rows[0]->uuid), $rows[0]);
    }

    /** @return array<string, array{Closure(): mixed, string}> */
    public static function badQueries(): array
    {
        return [
            'unknown field' => [fn () => Customer::where('balanse', '>', 1)->get(), 'balanse'],
            'unknown field in orderBy' => [fn () => Customer::orderBy('rank')->get(), 'rank'],
            'unknown field in an aggregate' => [fn () => Customer::query()->sum('total'), 'total'],
            'unknown operator' => [fn () => Customer::where('score', '=~', 1)->get(), 'score'],
            'wrong value type' => [fn () => Customer::where('balance', '>', 'lots')->get(), 'balance'],
            'wrong value type in a list' => [fn () => Customer::whereIn('score', [1, 'two'])->get(), 'score'],
            'like on an int' => [fn () => Customer::where('balance', 'like', '1%')->get(), 'balance'],
            'sum of a string' => [fn () => Customer::query()->sum('name'), 'name'],
            'bad direction' => [fn () => Customer::orderBy('score', 'sideways')->get(), 'score'],
            'server: unknown field' => [fn () => self::raw(['where' => ['field' => 'balanse', 'op' => '>', 'value' => 1]]), 'balanse'],
            'server: unknown operator' => [fn () => self::raw(['where' => ['field' => 'score', 'op' => '~', 'value' => 1]]), 'score'],
            'server: wrong value type' => [fn () => self::raw(['where' => ['field' => 'balance', 'op' => '>', 'value' => 'lots']]), 'balance'],
            'server: unknown order field' => [fn () => self::raw(['order' => [['field' => 'rank', 'dir' => 'asc']]]), 'rank'],
            'server: sum of a string' => [fn () => self::raw(['select' => 'sum', 'field' => 'name']), 'name'],
        ];
    }

    /** @dataProvider badQueries */
    public function testBadQueriesThrowNamingTheFieldAndChangeNothing(Closure $query, string $field): void
    {
        $before = [Customer::all(), \Resident\stats()['position']];
        try {
            $query();
            self::fail('the bad query was answered');
        } catch (QueryException $e) {
            self::assertInstanceOf(BadRequestException::class, $e);
            self::assertSame('bad_request', $e->errorCode());
            self::assertStringContainsString($field, $e->getMessage());
        }
        self::assertEquals($before, [Customer::all(), \Resident\stats()['position']]);
    }

    /** Sends a spec past the builder's checks, straight to the server. */
    private static function raw(array $spec): mixed
    {
        return \Resident\query(Customer::class, $spec + Customer::query()->spec());
    }

    /**
     * @param list<Customer> $rows
     * @param list<array{string, string}> $order
     * @return list<Customer>
     */
    private static function sorted(array $rows, array $order): array
    {
        usort($rows, static function (Customer $a, Customer $b) use ($order): int {
            foreach ($order as [$field, $dir]) {
                $c = is_string($a->$field) ? strcmp($a->$field, $b->$field) <=> 0 : $a->$field <=> $b->$field;
                if ($c !== 0) {
                    return $dir === 'desc' ? -$c : $c;
                }
            }
            return strcmp($a->uuid, $b->uuid);
        });
        return $rows;
    }

    /** @param list<Customer> $expected @param list<mixed> $actual */
    private static function assertSameRows(array $expected, array $actual, string $message = ''): void
    {
        self::assertContainsOnlyInstancesOf(Customer::class, $actual, $message);
        self::assertSame(
            array_map('get_object_vars', $expected),
            array_map('get_object_vars', $actual),
            $message,
        );
    }
}
