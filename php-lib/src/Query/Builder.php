<?php

declare(strict_types=1);

namespace Resident\Query;

use BackedEnum;
use Closure;
use Generator;
use Resident\Entity;
use Resident\Exception\QueryException;
use Resident\Schema\EntitySchema;
use Resident\Schema\Registry;

/**
 * A query over one entity type, answered by residentd from memory (the wire `query`
 * operation, PROTOCOL.md): filters, order, limit/offset, keyset pagination, aggregates.
 *
 * Start one with `Account::query()` or a shortcut such as `Account::where(...)`; the
 * results are objects of that class. What can be checked here is checked before anything
 * is sent — the field exists on the class, the operator is known, the value has the
 * field's kind — and throws a QueryException naming the field; the server checks the rest
 * and its refusals arrive as QueryException too.
 *
 * The builder is mutable, like Laravel's: each call changes it and returns it. Conditions
 * joined by where() bind tighter than orWhere(): `a->where(b)->orWhere(c)->where(d)` is
 * `(a and b) or (c and d)`; a closure makes a parenthesised group.
 *
 * @template T of Entity
 */
final class Builder
{
    /**
     * The filter as a disjunction of conjunctions: where() adds to the last group,
     * orWhere() opens a new one.
     *
     * @var list<list<array<string, mixed>>>
     */
    private array $groups = [[]];

    /** @var list<array{field: string, dir: string}> */
    private array $order = [];

    private ?int $limit = null;

    private ?int $offset = null;

    private ?Entity $afterEntity = null;

    private ?Cursor $afterCursor = null;

    /** @param class-string<T> $class */
    private function __construct(private readonly string $class, private readonly EntitySchema $schema)
    {
    }

    /**
     * @template E of Entity
     * @param class-string<E> $class
     * @return self<E>
     */
    public static function for(string $class): self
    {
        $schema = Registry::entitySchema($class);
        return new self($schema->class, $schema);
    }

    /** @return class-string<T> */
    public function entityClass(): string
    {
        return $this->class;
    }

    /**
     * `where('balance', '>', 100)`, `where('name', 'Alice')` (for `=`), or a group:
     * `where(fn (Builder $q) => $q->where(...)->orWhere(...))`.
     *
     * @return $this
     */
    public function where(string|Closure $field, mixed $operator = null, mixed $value = null): self
    {
        if ($field instanceof Closure) {
            return $this->addGroup($field, false);
        }
        if (func_num_args() === 2) {
            [$operator, $value] = ['=', $operator];
        }
        return $this->add($this->condition($field, $operator, $value), false);
    }

    /** @return $this */
    public function orWhere(string|Closure $field, mixed $operator = null, mixed $value = null): self
    {
        if ($field instanceof Closure) {
            return $this->addGroup($field, true);
        }
        if (func_num_args() === 2) {
            [$operator, $value] = ['=', $operator];
        }
        return $this->add($this->condition($field, $operator, $value), true);
    }

    /**
     * @param iterable<mixed> $values
     * @return $this
     */
    public function whereIn(string $field, iterable $values): self
    {
        return $this->add($this->condition($field, 'in', $values), false);
    }

    /**
     * @param iterable<mixed> $values
     * @return $this
     */
    public function whereNotIn(string $field, iterable $values): self
    {
        return $this->add($this->condition($field, 'not in', $values), false);
    }

    /** @return $this */
    public function whereNull(string $field): self
    {
        $this->field($field, 'whereNull');
        return $this->add(['field' => $field, 'op' => Operator::IsNull->value], false);
    }

    /** @return $this */
    public function whereNotNull(string $field): self
    {
        $this->field($field, 'whereNotNull');
        return $this->add(['field' => $field, 'op' => Operator::IsNotNull->value], false);
    }

    /**
     * Orders by `$field`; later calls break ties of earlier ones, and the id breaks any
     * tie left (always, ascending), so the order is total and pagination is stable.
     *
     * @return $this
     */
    public function orderBy(string $field, string $direction = 'asc'): self
    {
        $this->field($field, 'orderBy');
        $dir = strtolower(trim($direction));
        if ($dir !== 'asc' && $dir !== 'desc') {
            throw new QueryException(sprintf(
                'orderBy(\'%s\', \'%s\'): the direction must be "asc" or "desc".',
                $field,
                $direction,
            ));
        }
        $this->order[] = ['field' => $field, 'dir' => $dir];
        return $this;
    }

    /** @return $this */
    public function orderByDesc(string $field): self
    {
        return $this->orderBy($field, 'desc');
    }

    /** @return $this */
    public function limit(int $rows): self
    {
        if ($rows < 0) {
            throw new QueryException("limit($rows): the limit cannot be negative.");
        }
        $this->limit = $rows;
        return $this;
    }

    /** @return $this */
    public function offset(int $rows): self
    {
        if ($rows < 0) {
            throw new QueryException("offset($rows): the offset cannot be negative.");
        }
        $this->offset = $rows;
        return $this;
    }

    /**
     * Keyset pagination: only rows that come strictly after `$last` in this query's order
     * (its order fields, then its id). Pass the last entity of the previous page; unlike
     * offset(), rows inserted or deleted meanwhile make no row appear twice or go missing.
     *
     * @param T $last
     * @return $this
     */
    public function after(Entity $last): self
    {
        if (!$last instanceof $this->class) {
            throw new QueryException(sprintf('after() needs a %s, got a %s.', $this->class, $last::class));
        }
        $this->afterEntity = $last;
        $this->afterCursor = null;
        return $this;
    }

    /**
     * Keyset pagination from an opaque cursor (Page::nextCursor()); the query must have
     * the order the cursor was made with.
     *
     * @return $this
     */
    public function afterCursor(string $cursor): self
    {
        $this->afterCursor = Cursor::decode($cursor);
        $this->afterEntity = null;
        return $this;
    }

    /** @return list<T> */
    public function get(): array
    {
        return $this->run('rows')['entities'];
    }

    /** @return T|null */
    public function first(): ?Entity
    {
        $query = clone $this;
        $query->limit = 1;
        return $query->run('rows')['entities'][0] ?? null;
    }

    /**
     * One page of at most `$perPage` rows after `$cursor` (null: the first page). Walk a
     * whole result with `$cursor = $page->nextCursor()` until it is null.
     *
     * @return Page<T>
     */
    public function paginate(int $perPage, ?string $cursor = null): Page
    {
        if ($perPage < 1) {
            throw new QueryException("paginate($perPage): a page holds at least one row.");
        }
        if ($this->offset !== null) {
            throw new QueryException('paginate() and offset() do not mix: the cursor already says where a page starts.');
        }
        $query = clone $this;
        $query->limit = $perPage;
        if ($cursor !== null) {
            $query->afterCursor($cursor);
        }
        $answer = $query->run('rows');
        $next = $answer['next'] ?? null;
        return new Page($answer['entities'], is_array($next) ? Cursor::encode($this->order, $next) : null);
    }

    /**
     * Every matching row, fetched `$perPage` at a time by keyset pagination: for results
     * larger than the server's rows limit.
     *
     * @return Generator<int, T>
     */
    public function lazy(int $perPage = 1000): Generator
    {
        $cursor = null;
        do {
            $page = $this->paginate($perPage, $cursor);
            foreach ($page->items() as $item) {
                yield $item;
            }
            $cursor = $page->nextCursor();
        } while ($cursor !== null);
    }

    /** Aggregates (count, exists, sum, avg, min, max) ignore order, limit, offset and cursor. */
    public function count(): int
    {
        return $this->run('count')['count'];
    }

    public function exists(): bool
    {
        return $this->run('exists')['exists'];
    }

    /** 0 over no rows; an int for an int field. */
    public function sum(string $field): int|float
    {
        $this->numericField($field, 'sum');
        return $this->run('sum', $field)['value'] ?? 0;
    }

    /** Null over no rows. */
    public function avg(string $field): ?float
    {
        $this->numericField($field, 'avg');
        $value = $this->run('avg', $field)['value'];
        return $value === null ? null : (float) $value;
    }

    /** Null over no rows; also works on string fields. */
    public function min(string $field): int|float|string|null
    {
        $this->field($field, 'min');
        return $this->run('min', $field)['value'];
    }

    public function max(string $field): int|float|string|null
    {
        $this->field($field, 'max');
        return $this->run('max', $field)['value'];
    }

    /**
     * The values of one field, in this query's order.
     *
     * @return list<mixed>
     */
    public function pluck(string $field): array
    {
        $this->field($field, 'pluck');
        return $this->run('pluck', $field)['values'];
    }

    /**
     * How the server answers this query (`rows`): `['index' => 'balance'|null, 'kind' =>
     * 'range'|'equality'|'prefix'|'order'|'scan', 'text' => '…']`.
     *
     * @return array{index: ?string, kind: string, text: string}
     */
    public function explain(): array
    {
        return $this->run('rows', null, true)['plan'];
    }

    /**
     * The wire query this builder sends for `$select` (without `op` and `entity`), for
     * logging and tests.
     *
     * @return array<string, mixed>
     */
    public function spec(string $select = 'rows', ?string $field = null, bool $explain = false): array
    {
        $ordered = $select === 'rows' || $select === 'pluck';
        return [
            'where' => $this->filter(),
            'order' => $ordered ? $this->order : [],
            'limit' => $ordered ? $this->limit : null,
            'offset' => $ordered ? $this->offset : null,
            'after' => $ordered ? $this->afterKey() : null,
            'select' => $select,
            'field' => $field,
            'explain' => $explain,
        ];
    }

    /** @return array<string, mixed> the server's answer; rows hydrated into the entity class */
    private function run(string $select, ?string $field = null, bool $explain = false): array
    {
        return \Resident\query($this->class, $this->spec($select, $field, $explain));
    }

    /** @return array<string, mixed>|null */
    private function filter(): ?array
    {
        $any = [];
        foreach ($this->groups as $group) {
            if ($group !== []) {
                $any[] = count($group) === 1 ? $group[0] : ['and' => $group];
            }
        }
        return match (count($any)) {
            0 => null,
            1 => $any[0],
            default => ['or' => $any],
        };
    }

    /** @return $this */
    private function add(array $condition, bool $or): self
    {
        if ($or) {
            $this->groups[] = [$condition];
        } else {
            $this->groups[array_key_last($this->groups)][] = $condition;
        }
        return $this;
    }

    /** @return $this */
    private function addGroup(Closure $group, bool $or): self
    {
        $nested = new self($this->class, $this->schema);
        $group($nested);
        $filter = $nested->filter();
        return $filter === null ? $this : $this->add($filter, $or);
    }

    /** @return array<string, mixed> */
    private function condition(string $field, mixed $operator, mixed $value): array
    {
        $type = $this->field($field, 'where')['type'];
        if (!is_string($operator)) {
            throw new QueryException(sprintf(
                'The operator of the condition on %s::$%s must be a string such as \'=\' or \'>\', got %s.',
                $this->class,
                $field,
                get_debug_type($operator),
            ));
        }
        $op = Operator::parse($operator, $this->class, $field);
        if ($op === Operator::In || $op === Operator::NotIn) {
            if (!is_iterable($value)) {
                throw new QueryException(sprintf(
                    '%s::$%s %s needs a list of values, got %s.',
                    $this->class,
                    $field,
                    $operator,
                    get_debug_type($value),
                ));
            }
            $values = [];
            foreach ($value as $item) {
                $values[] = $this->checkedValue($field, $type, $item, $op);
            }
            return ['field' => $field, 'op' => $op->value, 'value' => $values];
        }
        if ($value === null) {
            return match ($op) {
                Operator::Equal => ['field' => $field, 'op' => Operator::IsNull->value],
                Operator::NotEqual => ['field' => $field, 'op' => Operator::IsNotNull->value],
                default => throw new QueryException(sprintf(
                    '%s::$%s %s null never matches: null only equals null (use whereNull()).',
                    $this->class,
                    $field,
                    $operator,
                )),
            };
        }
        if ($op === Operator::Like && !in_array($type, ['string', 'mixed'], true)) {
            throw new QueryException(sprintf('%s::$%s is %s; like works on string fields.', $this->class, $field, $type));
        }
        return ['field' => $field, 'op' => $op->value, 'value' => $this->checkedValue($field, $type, $value, $op)];
    }

    /** The value as the wire carries it, if it is of the field's kind. */
    private function checkedValue(string $field, string $type, mixed $value, Operator $op): int|float|string|bool
    {
        if ($value instanceof BackedEnum) {
            $value = $value->value;
        }
        $fits = match ($type) {
            'int', 'float' => is_int($value) || is_float($value),
            'string' => is_string($value),
            'bool' => is_bool($value) && !$op->isRange() && $op !== Operator::Like,
            'mixed' => is_scalar($value),
            default => false,
        };
        if ($op === Operator::Like && !is_string($value)) {
            $fits = false;
        }
        if (!$fits) {
            throw new QueryException(sprintf(
                '%s::$%s is %s; %s cannot compare it with %s%s.',
                $this->class,
                $field,
                $type === 'array' ? 'an array field' : $type,
                $op === Operator::NotIn ? 'not in' : $op->value,
                get_debug_type($value),
                $type === 'array' ? ' (array fields can only be tested with whereNull()/whereNotNull())' : '',
            ));
        }
        /** @var int|float|string|bool $value */
        return $value;
    }

    /** @return array<string, mixed> the field's definition; throws if the class lacks it */
    private function field(string $field, string $use): array
    {
        if (!$this->schema->hasField($field)) {
            throw new QueryException(sprintf(
                '%s(\'%s\'): %s has no field "%s" (its fields: %s).',
                $use,
                $field,
                $this->class,
                $field,
                implode(', ', array_keys($this->schema->fields)),
            ));
        }
        return $this->schema->fields[$field];
    }

    private function numericField(string $field, string $use): void
    {
        $type = $this->field($field, $use)['type'];
        if (!in_array($type, ['int', 'float', 'mixed'], true)) {
            throw new QueryException(sprintf('%s(\'%s\'): %s::$%s is %s, not a number.', $use, $field, $this->class, $field, $type));
        }
    }

    /** @return list<mixed>|null the keyset position to start after, in this query's order */
    private function afterKey(): ?array
    {
        if ($this->afterCursor !== null) {
            if ($this->afterCursor->order !== $this->order) {
                throw new QueryException(sprintf(
                    'This cursor was made for a query ordered by %s; this one is ordered by %s.',
                    self::describeOrder($this->afterCursor->order),
                    self::describeOrder($this->order),
                ));
            }
            return $this->afterCursor->after;
        }
        if ($this->afterEntity === null) {
            return null;
        }
        $key = [];
        foreach ([...array_column($this->order, 'field'), $this->schema->id] as $field) {
            $property = new \ReflectionProperty($this->afterEntity, $field);
            if (!$property->isInitialized($this->afterEntity)) {
                throw new QueryException(sprintf('after(): %s::$%s of the given entity is not set.', $this->class, $field));
            }
            $value = $property->getValue($this->afterEntity);
            $key[] = $value instanceof BackedEnum ? $value->value : $value;
        }
        return $key;
    }

    /** @param list<array{field: string, dir: string}> $order */
    private static function describeOrder(array $order): string
    {
        if ($order === []) {
            return 'id';
        }
        return implode(', ', array_map(static fn (array $o): string => "{$o['field']} {$o['dir']}", $order));
    }
}
