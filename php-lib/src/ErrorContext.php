<?php

declare(strict_types=1);

namespace Resident;

use Resident\Exception\ConcurrencyException;
use Resident\Exception\ResidentException;
use Throwable;

/**
 * What a log record of a Resident exception should carry besides its message: the wire
 * code, the socket, and for a conflict the stream and both versions. The framework
 * adapters add it when they report an exception.
 */
final class ErrorContext
{
    /** What a client is told when a conflict escaped its retries (a 409): the stream and versions are for the log only. */
    public const CONFLICT_MESSAGE = 'Another request changed this at the same time; try again.';

    /** @return array{resident?: array<string, int|string>} nothing for other exceptions */
    public static function of(Throwable $e): array
    {
        if (!$e instanceof ResidentException) {
            return [];
        }
        $context = ['code' => $e->errorCode(), 'socket' => Operations::socket()];
        if ($e instanceof ConcurrencyException) {
            $context += ['stream' => $e->stream(), 'expected_version' => $e->expectedVersion(), 'actual_version' => $e->actualVersion()];
        }
        return ['resident' => $context];
    }
}
