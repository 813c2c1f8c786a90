<?php

declare(strict_types=1);

namespace Resident\Bundle;

/** The socket and timeout from resident.yaml, handed to the extension through php.ini. */
final class ConnectionSettings
{
    public function __construct(private readonly string $socket, private readonly int $timeoutMs)
    {
    }

    public function apply(): void
    {
        ini_set('resident.socket', $this->socket);
        ini_set('resident.timeout_ms', (string) $this->timeoutMs);
    }
}
