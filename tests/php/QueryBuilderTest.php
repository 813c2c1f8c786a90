<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Exception\QueryException;
use Resident\Query\Builder;
use Resident\Query\Cursor;
use Resident\Tests\Fixtures\Customer;

/** The wire query the builder makes (PROTOCOL.md, `query`), without asking the server. */
final class QueryBuilderTest extends TestCase
{
    public function testTheIssueExample(): void
    {
        $spec = Customer::where('balance', '>', 100)->where('name', 'like', 'A%')
            ->orderBy('balance', 'desc')->limit(10)->offset(20)->spec();
        self::assertSame([
            'where' => ['and' => [
                ['field' => 'balance', 'op' => '>', 'value' => 100],
                ['field' => 'name', 'op' => 'like', 'value' => 'A%'],
            ]],
            'order' => [['field' => 'balance', 'dir' => 'desc']],
            'limit' => 10,
            'offset' => 20,
            'after' => null,
            'select' => 'rows',
            'field' => null,
            'explain' => false,
        ], $spec);
    }

    public function testAndBindsTighterThanOrAndClosuresGroup(): void
    {
        $where = Customer::where('vip', true)->where('score', 1)->orWhere('city', 'Rome')
            ->where(fn (Builder $q) => $q->whereNull('city')->orWhere('score', 'not in', [1, 2]))
            ->spec()['where'];
        self::assertSame(['or' => [
            ['and' => [
                ['field' => 'vip', 'op' => '=', 'value' => true],
                ['field' => 'score', 'op' => '=', 'value' => 1],
            ]],
            ['and' => [
                ['field' => 'city', 'op' => '=', 'value' => 'Rome'],
                ['or' => [
                    ['field' => 'city', 'op' => 'null'],
                    ['field' => 'score', 'op' => 'not_in', 'value' => [1, 2]],
                ]],
            ]],
        ]], $where);
    }

    public function testNullComparisonsBecomeNullTests(): void
    {
        self::assertSame(['field' => 'city', 'op' => 'null'], Customer::where('city', null)->spec()['where']);
        self::assertSame(['field' => 'city', 'op' => 'not_null'], Customer::where('city', '!=', null)->spec()['where']);
        self::assertSame(['field' => 'city', 'op' => 'not_null'], Customer::whereNotNull('city')->spec()['where']);
        $this->expectException(QueryException::class);
        Customer::where('city', '>', null);
    }

    public function testAggregatesDropOrderAndPaging(): void
    {
        $spec = Customer::where('score', '>', 1)->orderBy('name')->limit(3)->offset(1)->spec('sum', 'balance');
        self::assertSame(['field' => 'score', 'op' => '>', 'value' => 1], $spec['where']);
        self::assertSame([[], null, null, 'sum', 'balance'], [$spec['order'], $spec['limit'], $spec['offset'], $spec['select'], $spec['field']]);
    }

    public function testAfterAnEntityIsItsOrderValuesThenItsId(): void
    {
        $last = (new \ReflectionClass(Customer::class))->newInstanceWithoutConstructor();
        $last->uuid = 'u-1';
        $last->name = 'Bob';
        $last->balance = 50;
        $spec = Customer::orderBy('balance', 'desc')->orderBy('name')->after($last)->spec();
        self::assertSame([50, 'Bob', 'u-1'], $spec['after']);
        self::assertSame(['u-1'], Customer::query()->after($last)->spec()['after']);
    }

    public function testACursorCarriesItsOrder(): void
    {
        $order = [['field' => 'rate', 'dir' => 'desc']];
        $cursor = Cursor::encode($order, [1.0, 'u-9']);
        self::assertMatchesRegularExpression('/^[A-Za-z0-9_-]+$/', $cursor);
        self::assertSame([1.0, 'u-9'], Customer::orderBy('rate', 'desc')->afterCursor($cursor)->spec()['after']);
        $this->expectException(QueryException::class);
        $this->expectExceptionMessage('rate desc');
        Customer::orderBy('rate')->afterCursor($cursor)->spec();
    }

    public function testACursorOfANonFiniteValueIsAQueryException(): void
    {
        // Stored before NaN and INF were refused: JSON cannot carry them.
        $this->expectException(QueryException::class);
        $this->expectExceptionMessage('after($lastEntity)');
        Cursor::encode([['field' => 'rate', 'dir' => 'asc']], [INF, 'u-1']);
    }

    public function testValuesMustFitTheField(): void
    {
        self::assertSame(1.5, Customer::where('balance', '<', 1.5)->spec()['where']['value'], 'ints and floats compare');
        foreach ([
            fn () => Customer::where('name', 'Bob', 'extra'),
            fn () => Customer::where('vip', '>', true),
            fn () => Customer::where('balance', 'like', '1%'),
            fn () => Customer::where('name', 'like', 5),
            fn () => Customer::where('balance', 'in', 5),
            fn () => Customer::query()->avg('name'),
            fn () => Customer::query()->limit(-1),
        ] as $i => $bad) {
            try {
                $bad();
                self::fail("case $i was accepted");
            } catch (QueryException) {
                self::addToAssertionCount(1);
            }
        }
    }
}
