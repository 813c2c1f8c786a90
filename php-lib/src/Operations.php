<?php

declare(strict_types=1);

namespace Resident;

use Resident\Schema\SchemaSync;

/**
 * What an application asks of residentd besides its data: is it up, its counters, a
 * snapshot, the schema check and push, retries of conflicting writes. The frameworks'
 * facade (Laravel's `Resident::`) and service (Symfony's `Resident\Operations`) are this
 * object; the console commands use it.
 */
final class Operations
{
    public function __construct(private readonly SchemaSync $schema)
    {
    }

    public function ping(): bool
    {
        return \Resident\ping();
    }

    /** @return array<string, mixed> the `stats` answer (PROTOCOL.md) */
    public function stats(): array
    {
        return \Resident\stats();
    }

    /** @return array<string, mixed> `path`, `position`, `entities`, `bytes`, `took_ms` */
    public function snapshot(): array
    {
        return \Resident\snapshot();
    }

    public function schema(): SchemaSync
    {
        return $this->schema;
    }

    /** The socket the extension connects to: RESIDENT_SOCKET, else php.ini's resident.socket. */
    public static function socket(): string
    {
        return (string) (getenv('RESIDENT_SOCKET') ?: ini_get('resident.socket'));
    }

    /**
     * Runs `$work` again when another writer changed the same stream first; see Retry.
     *
     * @template T
     * @param callable(int $attempt): T $work
     * @return T
     */
    public function retry(callable $work, int $attempts = 5): mixed
    {
        return Retry::onConflict($work, $attempts);
    }
}
