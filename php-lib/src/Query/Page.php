<?php

declare(strict_types=1);

namespace Resident\Query;

use ArrayIterator;
use Countable;
use IteratorAggregate;
use Traversable;

/**
 * One page of a keyset-paginated query (Builder::paginate()): its rows and the opaque
 * cursor of the page after it. Keyset pages neither skip nor repeat rows when other
 * writers insert or delete meanwhile, unlike offset pages.
 *
 * @template T of \Resident\Entity
 * @implements IteratorAggregate<int, T>
 */
final class Page implements IteratorAggregate, Countable
{
    /** @param list<T> $items */
    public function __construct(private readonly array $items, private readonly ?string $nextCursor)
    {
    }

    /** @return list<T> */
    public function items(): array
    {
        return $this->items;
    }

    /** Pass to paginate() or afterCursor() for the next page; null on the last page. */
    public function nextCursor(): ?string
    {
        return $this->nextCursor;
    }

    public function hasMore(): bool
    {
        return $this->nextCursor !== null;
    }

    public function count(): int
    {
        return count($this->items);
    }

    /** @return Traversable<int, T> */
    public function getIterator(): Traversable
    {
        return new ArrayIterator($this->items);
    }
}
