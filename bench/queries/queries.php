<?php

declare(strict_types=1);

// make bench, queries: the same accounts in Resident, PostgreSQL and SQLite, read from
// PHP in the same run — Resident's query API against PDO and Eloquent on both databases.
// Sizes grow in steps (BENCH_SIZES, default 10000,100000,1000000); at 10,000 accounts it
// times all(), from 100,000 on the indexed range query, count() and sum() with a filter.
require __DIR__ . '/../../examples/bank/bootstrap.php';
require __DIR__ . '/../lib/RawClient.php';
require '/usr/share/php/Illuminate/Database/autoload.php';

use App\Account;
use App\AccountAggregateRoot;
use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Database\Eloquent\Model;
use Resident\Bench\RawClient;

/** The row class PDO hydrates with FETCH_CLASS: the same public properties as Account. */
final class AccountRow
{
    public string $uuid;
    public string $name;
    public int $balance;
}

final class PgAccount extends Model
{
    protected $connection = 'pgsql';
    protected $table = 'accounts';
    protected $primaryKey = 'uuid';
    protected $keyType = 'string';
    public $incrementing = false;
    public $timestamps = false;
}

final class SqliteAccount extends Model
{
    protected $connection = 'sqlite';
    protected $table = 'accounts';
    protected $primaryKey = 'uuid';
    protected $keyType = 'string';
    public $incrementing = false;
    public $timestamps = false;
}

$sizes = array_map('intval', explode(',', getenv('BENCH_SIZES') ?: '10000,100000,1000000'));
$work = getenv('BENCH_WORK');
$pg = new PDO(getenv('PG_DSN'), options: [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$sqlite = new PDO("sqlite:$work/bench.sqlite", options: [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$pg->exec('CREATE TABLE accounts (uuid uuid PRIMARY KEY, name text NOT NULL, balance bigint NOT NULL)');
$pg->exec('CREATE INDEX accounts_balance ON accounts (balance)');
$sqlite->exec('CREATE TABLE accounts (uuid text PRIMARY KEY, name text NOT NULL, balance integer NOT NULL)');
$sqlite->exec('CREATE INDEX accounts_balance ON accounts (balance)');

$capsule = new Capsule();
$pgSocketDir = preg_replace('/^pgsql:host=([^;]+);.*$/', '$1', getenv('PG_DSN'));
$capsule->addConnection(['driver' => 'pgsql', 'host' => $pgSocketDir, 'port' => 5432, 'database' => 'postgres', 'username' => 'postgres', 'password' => ''], 'pgsql');
$capsule->addConnection(['driver' => 'sqlite', 'database' => "$work/bench.sqlite"], 'sqlite');
$capsule->setAsGlobal();
$capsule->bootEloquent();

$raw = new RawClient(getenv('RESIDENT_SOCKET'));
mt_srand(42);
$loaded = 0;

/** Adds accounts until there are $size, with the same uuid, name and balance everywhere. */
function grow(int $size): void
{
    global $loaded, $raw, $pg, $sqlite;
    $started = microtime(true);
    if ($loaded === 0) {
        // One account through the extension registers the schema of Account and its events.
        $first = AccountAggregateRoot::create()->open('Account 0')->increaseBalance(1)->state();
        $rows = [[$first->uuid, $first->name, $first->balance]];
        $loaded = 1;
    } else {
        $rows = [];
    }
    $batch = 2_000;
    while ($loaded < $size) {
        $streams = [];
        for ($i = 0; $i < $batch && $loaded < $size; $i++, $loaded++) {
            $uuid = RawClient::uuid4();
            $name = "Account $loaded";
            $balance = mt_rand(1, 1_000_000);
            $rows[] = [$uuid, $name, $balance];
            $streams[] = ['aggregate' => 'AccountAggregateRoot', 'id' => $uuid, 'expected' => 'none', 'events' => [
                ['id' => RawClient::uuid4(), 'type' => 'AccountOpened', 'data' => ['name' => $name]],
                ['id' => RawClient::uuid4(), 'type' => 'BalanceIncreased', 'data' => ['amount' => $balance]],
            ]];
        }
        $raw->request(['op' => 'commit', 'streams' => $streams]);
        insertRows($rows);
        $rows = [];
    }
    insertRows($rows);
    $pg->exec('ANALYZE accounts');
    $sqlite->exec('ANALYZE');
    printf("  loaded %d accounts into each store in %.1f s\n", $size, microtime(true) - $started);
}

function insertRows(array $rows): void
{
    global $pg, $sqlite;
    if ($rows === []) {
        return;
    }
    $pg->pgsqlCopyFromArray('accounts', array_map(static fn (array $r): string => implode("\t", $r), $rows));
    $sqlite->beginTransaction();
    $insert = $sqlite->prepare('INSERT INTO accounts (uuid, name, balance) VALUES (?, ?, ?)');
    foreach ($rows as $row) {
        $insert->execute($row);
    }
    $sqlite->commit();
}


/**
 * Median wall time of $reps calls, in µs. $check sees each result: a benchmark must not
 * time a wrong answer.
 */
function median_us(int $reps, callable $run, callable $check): float
{
    $samples = [];
    for ($i = 0; $i < $reps + 3; $i++) {
        $x = mt_rand(100_000, 900_000);
        $t = hrtime(true);
        $result = $run($x);
        $elapsed = (hrtime(true) - $t) / 1000;
        $check($result, $x);
        if ($i >= 3) { // the first runs warm caches and connections
            $samples[] = $elapsed;
        }
    }
    sort($samples);
    return $samples[intdiv(count($samples), 2)];
}

/**
 * Pins this PHP process, residentd and every PostgreSQL process to the given vCPUs (the
 * other process of a round trip then runs on the same vCPU, which this VM wakes far
 * faster). "0-1" undoes it.
 */
function pin(string $cpus): void
{
    $postmaster = (int) trim((string) @file_get_contents(getenv('BENCH_WORK') . '/pg/postmaster.pid'));
    $children = array_filter(explode("\n", (string) shell_exec("pgrep -P $postmaster")));
    foreach ([getmypid(), (int) getenv('RESIDENTD_PID'), $postmaster, ...$children] as $pid) {
        exec(sprintf('taskset -a -cp %s %d 2>&1', escapeshellarg($cpus), $pid), $out, $code);
        if ($code !== 0) {
            throw new RuntimeException("taskset $cpus $pid: " . implode(' ', $out));
        }
    }
}

$pinned = '';
/** Prints one case: Resident's median and each peer's, with how many times Resident's it is. */
function record(string $case, array $timings): void
{
    global $pinned;
    $resident = $timings['Resident'];
    printf("  %-36s %9s", "$case$pinned", number_format($resident, 1));
    foreach ($timings as $peer => $us) {
        if ($peer !== 'Resident') {
            printf("  %s %s µs (%.1f×)", $peer, number_format($us, 1), $us / $resident);
        }
    }
    echo "\n";
}

$rangeCheck = static function (array $rows, int $x): void {
    if (count($rows) !== 50) {
        throw new RuntimeException('range query returned ' . count($rows) . ' rows');
    }
    $previous = PHP_INT_MAX;
    foreach ($rows as $row) {
        if ($row->balance >= $x || $row->balance > $previous) {
            throw new RuntimeException("range query returned balance {$row->balance} for x = $x");
        }
        $previous = $row->balance;
    }
};

foreach ($sizes as $size) {
    echo "\n$size accounts\n";
    grow($size);
    $reps = $size >= 1_000_000 ? 15 : 40;
    echo "  median µs per call; peers with their time and how many times Resident's it is\n";
    foreach (['' => '0-1', ', pinned' => '0'] as $pinned => $cpus) {
        pin($cpus);
        measure($size, $reps);
    }
    pin('0-1');
}

function measure(int $size, int $reps): void
{
    global $pg, $sqlite, $rangeCheck;
    if ($size <= 10_000) {
        $allCheck = static function (array $rows) use ($size): void {
            if (count($rows) !== $size) {
                throw new RuntimeException('all() returned ' . count($rows) . " of $size rows");
            }
        };
        record('all() hydrated into objects', [
            'Resident' => median_us(30, static fn () => Account::all(), $allCheck),
            'PG PDO' => median_us(30, static fn () => $pg->query('SELECT uuid, name, balance FROM accounts')->fetchAll(PDO::FETCH_CLASS, AccountRow::class), $allCheck),
            'SQLite PDO' => median_us(30, static fn () => $sqlite->query('SELECT uuid, name, balance FROM accounts')->fetchAll(PDO::FETCH_CLASS, AccountRow::class), $allCheck),
        ]);
        return;
    }
    $pgRange = $pg->prepare('SELECT uuid, name, balance FROM accounts WHERE balance < ? ORDER BY balance DESC, uuid LIMIT 50');
    $sqliteRange = $sqlite->prepare('SELECT uuid, name, balance FROM accounts WHERE balance < ? ORDER BY balance DESC, uuid LIMIT 50');
    $pdoRange = static function (PDOStatement $statement, int $x): array {
        $statement->execute([$x]);
        return $statement->fetchAll(PDO::FETCH_CLASS, AccountRow::class);
    };
    record('range + orderBy + limit 50', [
        'Resident' => median_us(500, static fn (int $x) => Account::where('balance', '<', $x)->orderBy('balance', 'desc')->limit(50)->get(), $rangeCheck),
        'PG PDO' => median_us(500, static fn (int $x) => $pdoRange($pgRange, $x), $rangeCheck),
        'PG Eloquent' => median_us(500, static fn (int $x) => PgAccount::where('balance', '<', $x)->orderBy('balance', 'desc')->orderBy('uuid')->limit(50)->get()->all(), $rangeCheck),
        'SQLite PDO' => median_us(500, static fn (int $x) => $pdoRange($sqliteRange, $x), $rangeCheck),
        'SQLite Eloquent' => median_us(500, static fn (int $x) => SqliteAccount::where('balance', '<', $x)->orderBy('balance', 'desc')->orderBy('uuid')->limit(50)->get()->all(), $rangeCheck),
    ]);

    // Every store must give the same count and sum for the same filter.
    $expected = [];
    $agree = static function (string $what) use (&$expected): callable {
        return static function ($result, int $x) use (&$expected, $what): void {
            $key = "$what:$x";
            $expected[$key] ??= (int) $result;
            if ((int) $result !== $expected[$key]) {
                throw new RuntimeException("$what for balance > $x: $result, another store said {$expected[$key]}");
            }
        };
    };
    foreach (['count' => 'COUNT(*)', 'sum' => 'SUM(balance)'] as $aggregate => $sql) {
        $pgStatement = $pg->prepare("SELECT $sql FROM accounts WHERE balance > ?");
        $sqliteStatement = $sqlite->prepare("SELECT $sql FROM accounts WHERE balance > ?");
        $pdo = static function (PDOStatement $statement, int $x): int {
            $statement->execute([$x]);
            return (int) $statement->fetchColumn();
        };
        $check = $agree($aggregate);
        mt_srand(7); // the same thresholds for every store, so their answers can be compared
        $timings = ['Resident' => median_us($reps, static fn (int $x) => $aggregate === 'count'
            ? Account::where('balance', '>', $x)->count()
            : Account::where('balance', '>', $x)->sum('balance'), $check)];
        foreach (['PG PDO' => $pgStatement, 'SQLite PDO' => $sqliteStatement] as $peer => $statement) {
            mt_srand(7);
            $timings[$peer] = median_us($reps, static fn (int $x) => $pdo($statement, $x), $check);
        }
        foreach (['PG Eloquent' => PgAccount::class, 'SQLite Eloquent' => SqliteAccount::class] as $peer => $model) {
            mt_srand(7);
            $timings[$peer] = median_us($reps, static fn (int $x) => $aggregate === 'count'
                ? $model::where('balance', '>', $x)->count()
                : $model::where('balance', '>', $x)->sum('balance'), $check);
        }
        record("$aggregate() with a filter", $timings);
    }
}
