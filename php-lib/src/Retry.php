<?php

declare(strict_types=1);

namespace Resident;

use Resident\Exception\ConcurrencyException;

/**
 * Runs a unit of work again when another writer changed the same stream first.
 *
 * The callable must load what it decides on afresh each time (e.g. call
 * AggregateRoot::find() inside it); retrying with a stale aggregate only fails again.
 */
final class Retry
{
    /**
     * @template T
     * @param callable(int $attempt): T $work called with the attempt number, from 1
     * @return T
     * @throws ConcurrencyException when every attempt hit a conflict
     */
    public static function onConflict(callable $work, int $attempts = 5): mixed
    {
        if ($attempts < 1) {
            throw new \InvalidArgumentException("Retry::onConflict needs at least one attempt, got $attempts: pass 1 or more.");
        }
        for ($attempt = 1; ; $attempt++) {
            try {
                return $work($attempt);
            } catch (ConcurrencyException $conflict) {
                if ($attempt >= $attempts) {
                    throw $conflict;
                }
                // A short, growing, random pause keeps racing writers from colliding again.
                usleep(random_int(100, 1000) * $attempt);
            }
        }
    }
}
