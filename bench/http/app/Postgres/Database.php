<?php

declare(strict_types=1);

namespace Bench\Http\Postgres;

use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Database\Connection;
use PDO;

/**
 * Connects Eloquent (Laravel 8's illuminate/database, as Debian ships it) to the bench's
 * PostgreSQL, over the Unix socket in PG_SOCKET_DIR, database PG_DATABASE, with the
 * options of Laravel's default config/database.php (charset utf8, schema public), which
 * cost two statements per connection (`set names`, `set search_path`).
 *
 * PG_SETUP chooses the PDO options:
 *  - `tuned` (the default): what a team that has looked at its database round trips
 *    uses. Persistent connections: a PHP-FPM worker keeps its PostgreSQL connection
 *    across requests, as it keeps its residentd connection. Emulated prepares: one round
 *    trip per statement; with Laravel's default, pdo_pgsql sends a statement as a
 *    server-side prepare, an execute and a DEALLOCATE: three round trips.
 *  - `laravel-default`: Laravel's own defaults — a new connection per request (a
 *    PostgreSQL backend forked for each) and server-side prepares.
 */
final class Database
{
    public static function connect(?string $database = null): Connection
    {
        $setup = getenv('PG_SETUP') ?: 'tuned';
        $tuned = match ($setup) {
            'tuned' => true,
            'laravel-default' => false,
            default => throw new \RuntimeException("PG_SETUP is '$setup': use tuned or laravel-default."),
        };
        $capsule = new Capsule();
        $capsule->addConnection([
            'driver' => 'pgsql',
            'host' => self::env('PG_SOCKET_DIR'),
            'port' => 5432,
            'database' => $database ?? self::env('PG_DATABASE'),
            'username' => 'postgres',
            'password' => '',
            'charset' => 'utf8',
            'prefix' => '',
            'schema' => 'public',
            'options' => $tuned ? [PDO::ATTR_PERSISTENT => true, PDO::ATTR_EMULATE_PREPARES => true] : [],
        ]);
        $capsule->setAsGlobal();
        $capsule->bootEloquent();
        return $capsule->getConnection();
    }

    private static function env(string $name): string
    {
        $value = getenv($name);
        if ($value === false || $value === '') {
            throw new \RuntimeException("$name is not set: the bench runner passes it to PHP-FPM.");
        }
        return $value;
    }
}
