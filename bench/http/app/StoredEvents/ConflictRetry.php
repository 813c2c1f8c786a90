<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

use Illuminate\Database\QueryException;

/**
 * Runs a transaction again when another request appended to the same stream first (the
 * unique index on stored_events refuses the version), or PostgreSQL chose it as a
 * deadlock victim. Anything else is rethrown at once.
 */
final class ConflictRetry
{
    private const UNIQUE_VIOLATION = '23505';
    private const RETRYABLE = ['40P01', '40001']; // deadlock detected, serialization failure

    /**
     * @template T
     * @param callable(): T $work
     * @return T
     */
    public static function run(callable $work, int $attempts): mixed
    {
        for ($attempt = 1; ; $attempt++) {
            try {
                return $work();
            } catch (QueryException $e) {
                if ($attempt >= $attempts || !self::isConflict($e)) {
                    throw $e;
                }
                // A short, growing, random pause keeps racing writers from colliding again.
                usleep(random_int(100, 1000) * $attempt);
            }
        }
    }

    private static function isConflict(QueryException $e): bool
    {
        $state = (string) $e->getCode();
        return in_array($state, self::RETRYABLE, true)
            || ($state === self::UNIQUE_VIOLATION && str_contains($e->getMessage(), 'stored_events_stream_version'));
    }
}
