<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/** An account named by a request does not exist: the routes answer 404. */
final class AccountNotFound extends \RuntimeException
{
    public static function withUuid(string $uuid): self
    {
        return new self("No account $uuid.");
    }
}
