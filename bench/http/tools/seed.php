<?php

declare(strict_types=1);

// Loads the seed accounts (SeedAccounts) into one variant's store:
//   php seed.php resident        RESIDENT_SOCKET, with the extension loaded
//   php seed.php eloquent        PG_SOCKET_DIR; (re)creates the database bank_eloquent
//   php seed.php stored-events   PG_SOCKET_DIR; (re)creates the database bank_stored_events
// Bulk paths (one commit of many streams, COPY) keep seeding out of the way: seeding is
// not what is measured.
require __DIR__ . '/../app/autoload.php';

use Bench\Http\Postgres\Database;
use Bench\Http\Tools\SeedAccounts;

$variant = $argv[1] ?? '';
$count = SeedAccounts::count();
$started = microtime(true);
match ($variant) {
    'resident' => seed_resident($count),
    'eloquent', 'stored-events' => seed_postgres($variant, $count),
    default => throw new RuntimeException("Unknown variant '$variant': resident, eloquent or stored-events."),
};
fprintf(STDERR, "  seeded %d accounts into %s in %.1f s\n", $count, $variant, microtime(true) - $started);

function seed_resident(int $count): void
{
    require __DIR__ . '/../../../php-lib/vendor/autoload.php';
    require __DIR__ . '/../../lib/RawClient.php';
    if (Bench\Http\Resident\Account::count() !== 0) {
        throw new RuntimeException('residentd already holds accounts: seed a fresh server.');
    }
    $batch = 1_000;
    $streams = [];
    foreach (SeedAccounts::all($count) as $number => [$uuid, $name, $balance]) {
        if ($number === 0) {
            // The first account goes through the extension, which registers the schema.
            Bench\Http\Resident\AccountAggregateRoot::create($uuid)->open($name, $balance);
            continue;
        }
        $streams[] = ['aggregate' => 'AccountAggregateRoot', 'id' => $uuid, 'expected' => 'none', 'events' => [
            ['id' => Resident\Bench\RawClient::uuid4(), 'type' => 'AccountOpened', 'data' => ['name' => $name, 'balance' => $balance]],
        ]];
        if (count($streams) === $batch || $number === $count - 1) {
            raw_client()->request(['op' => 'commit', 'streams' => $streams]);
            $streams = [];
        }
    }
    if (Bench\Http\Resident\Account::count() !== $count) {
        throw new RuntimeException('residentd holds ' . Bench\Http\Resident\Account::count() . " accounts, not $count.");
    }
}

function raw_client(): Resident\Bench\RawClient
{
    static $client = null;
    return $client ??= new Resident\Bench\RawClient((string) (getenv('RESIDENT_SOCKET') ?: ini_get('resident.socket')));
}

function seed_postgres(string $variant, int $count): void
{
    require '/usr/share/php/Illuminate/Database/autoload.php';
    $database = 'bank_' . str_replace('-', '_', $variant);
    $admin = Database::connect('postgres');
    $admin->statement("DROP DATABASE IF EXISTS $database");
    $admin->statement("CREATE DATABASE $database");
    $admin->disconnect();

    $db = Database::connect($database);
    $pdo = $db->getPdo();
    $accounts = [];
    $events = [];
    $now = gmdate('Y-m-d H:i:s');
    foreach (SeedAccounts::all($count) as [$uuid, $name, $balance]) {
        $accounts[] = "$uuid\t$name\t$balance";
        $events[] = "$uuid\t1\tAccountOpened\t" . json_encode(['name' => $name, 'balance' => $balance], JSON_THROW_ON_ERROR) . "\t$now";
    }
    if ($variant === 'eloquent') {
        Bench\Http\Eloquent\Migration::up($db);
    } else {
        Bench\Http\StoredEvents\Migration::up($db);
        copy_rows($pdo, 'stored_events', $events, 'aggregate_uuid, aggregate_version, event_class, event_properties, created_at');
    }
    copy_rows($pdo, 'accounts', $accounts, 'uuid, name, balance');
    $db->statement('ANALYZE');
    $db->statement('CHECKPOINT');
}

/** @param list<string> $rows tab-separated, in COPY's text format */
function copy_rows(PDO $pdo, string $table, array $rows, string $columns): void
{
    if (!$pdo->pgsqlCopyFromArray($table, $rows, "\t", '\\\\N', $columns)) {
        throw new RuntimeException("COPY into $table failed: " . implode(' ', $pdo->errorInfo()));
    }
}
