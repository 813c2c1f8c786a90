<?php
/**
 * Times hydration by the extension: Account::all() of N accounts and a 50-row query page
 * against a 1-row page, next to the same requests sent raw (bytes only, no decoding), so
 * the extension's share can be told from the server's.
 *
 *   php -d extension=/abs/path/libresident.so php-ext/tests/hydrate_bench.php
 *
 * Starts its own residentd (RESIDENTD=…, default the workspace's release build) on a
 * temporary socket and seeds it through the raw protocol (BENCH_ACCOUNTS, default
 * 10000). Pin with `taskset -c 0` to keep client and server on one vCPU.
 */

declare(strict_types=1);

require __DIR__ . '/../../examples/bank/bootstrap.php';
require __DIR__ . '/../../bench/lib/RawClient.php';
require __DIR__ . '/../../php-lib/src/Testing/TestServer.php';

use App\Account;
use App\AccountAggregateRoot;
use Resident\Bench\RawClient;

$size = (int) (getenv('BENCH_ACCOUNTS') ?: 10_000);
$socket = \Resident\Testing\TestServer::startedFor('hydrate-bench')->socket;


// One account through the extension registers the schemas; the rest go in bulk.
AccountAggregateRoot::create()->open('Account 0')->increaseBalance(1);
$raw = new RawClient($socket);
mt_srand(42);
for ($loaded = 1; $loaded < $size;) {
    $streams = [];
    for ($i = 0; $i < 2_000 && $loaded < $size; $i++, $loaded++) {
        $streams[] = ['aggregate' => 'AccountAggregateRoot', 'id' => RawClient::uuid4(), 'expected' => 'none', 'events' => [
            ['id' => RawClient::uuid4(), 'type' => 'AccountOpened', 'data' => ['name' => "Account $loaded"]],
            ['id' => RawClient::uuid4(), 'type' => 'BalanceIncreased', 'data' => ['amount' => mt_rand(1, 1_000_000)]],
        ]];
    }
    $raw->request(['op' => 'commit', 'streams' => $streams]);
}

/** This process's CPU time (user + system) in µs: what the server does is not in it. */
function cpu_us(): float
{
    $u = getrusage();
    return $u['ru_utime.tv_sec'] * 1e6 + $u['ru_utime.tv_usec'] + $u['ru_stime.tv_sec'] * 1e6 + $u['ru_stime.tv_usec'];
}

/** [median wall µs, mean CPU µs of this process] of $fn over $runs runs (after a warm-up). */
function measure(int $runs, callable $fn): array
{
    $fn();
    $t = [];
    $c = cpu_us();
    for ($i = 0; $i < $runs; $i++) {
        $s = hrtime(true);
        $fn();
        $t[] = (hrtime(true) - $s) / 1e3;
    }
    $cpu = (cpu_us() - $c) / $runs;
    sort($t);
    return [$t[intdiv($runs, 2)], $cpu];
}

/** The raw exchange: request out, answer bytes in, nothing decoded. */
$rawSocket = stream_socket_client("unix://$socket");
$rawId = 1;
$exchange = static function (array $request) use ($rawSocket, &$rawId): int {
    $body = RawClient::encode(['id' => $rawId++] + $request);
    fwrite($rawSocket, pack('N', strlen($body)) . $body);
    $len = unpack('N', fread($rawSocket, 4))[1];
    $got = 0;
    while ($got < $len) {
        $got += strlen(fread($rawSocket, $len - $got));
    }
    return $len;
};

if (count(Account::all()) !== $size) {
    fwrite(STDERR, "all() did not return $size accounts\n");
    exit(1);
}
$bytes = $exchange(['op' => 'all', 'entity' => 'Account']);
$page = static fn (int $n) => Account::where('balance', '>', 500_000)->orderBy('balance')->limit($n)->get();
$rawPage = static fn (int $n) => $exchange(['op' => 'query', 'entity' => 'Account', 'where' => ['field' => 'balance', 'op' => '>', 'value' => 500_000], 'order' => [['field' => 'balance', 'dir' => 'asc']], 'limit' => $n]);
if (count($page(50)) !== 50) {
    fwrite(STDERR, "the page did not hold 50 accounts\n");
    exit(1);
}

[$all, $allCpu] = measure(30, static fn () => Account::all());
[$allRaw, $allRawCpu] = measure(30, static fn () => $exchange(['op' => 'all', 'entity' => 'Account']));
[$p50, $p50Cpu] = measure(3000, static fn () => $page(50));
[$p1, $p1Cpu] = measure(3000, static fn () => $page(1));
[$r50, $r50Cpu] = measure(3000, static fn () => $rawPage(50));
[$r1, $r1Cpu] = measure(3000, static fn () => $rawPage(1));

printf("accounts: %d, all() answer %d bytes; wall = median, cpu = mean CPU time of the PHP process\n", $size, $bytes);
printf("Account::all()           wall %8.0f µs  cpu %8.0f µs | raw exchange wall %8.0f µs  cpu %6.0f µs\n", $all, $allCpu, $allRaw, $allRawCpu);
printf("  extension share        wall %8.0f µs  cpu %8.0f µs = %.3f µs/entity (cpu)\n", $all - $allRaw, $allCpu - $allRawCpu, ($allCpu - $allRawCpu) / $size);
printf("query page of 50         wall %8.1f µs  cpu %8.1f µs | page of 1 wall %6.1f µs  cpu %6.1f µs\n", $p50, $p50Cpu, $p1, $p1Cpu);
printf("raw page of 50           wall %8.1f µs  cpu %8.1f µs | raw 1     wall %6.1f µs  cpu %6.1f µs\n", $r50, $r50Cpu, $r1, $r1Cpu);
printf("  per extra row          wall %.2f µs, cpu %.2f µs; extension (cpu, minus raw) %.2f µs\n", ($p50 - $p1) / 49, ($p50Cpu - $p1Cpu) / 49, (($p50Cpu - $p1Cpu) - ($r50Cpu - $r1Cpu)) / 49);
