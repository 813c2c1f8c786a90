<?php

declare(strict_types=1);

// Turns the runner's measurements into the printed table and the results files that
// bench/report/build.sh composes into bench/REPORT.md:
//   php report.php RUNS_TSV RESULTS_DIR
// RUNS_TSV: variant, mix, round, requests, duration µs, p50 µs, p99 µs per line; with
// several rounds each figure is the median over them. The settings come from BENCH_HTTP_*
// in the environment (run.sh sets them).
const VARIANTS = [
    'resident' => 'Resident',
    'eloquent' => 'Eloquent + PostgreSQL',
    'stored-events' => 'stored_events + PostgreSQL',
];
const MIXES = ['read' => 'read-only', 'write' => 'write-only', 'mixed' => '90 % reads'];

[$runsFile, $resultsDir] = [$argv[1] ?? '', $argv[2] ?? ''];
if (!is_readable($runsFile) || $resultsDir === '') {
    fwrite(STDERR, "usage: php report.php RUNS_TSV RESULTS_DIR\n");
    exit(2);
}
/** @var array<string, array<string, list<array{rps: float, p50: float, p99: float}>>> $rounds mix → variant → one per round */
$rounds = [];
foreach (file($runsFile, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
    [$variant, $mix, , $requests, $durationUs, $p50Us, $p99Us] = explode("\t", $line);
    $rounds[$mix][$variant][] = [
        'rps' => (int) $requests / ((int) $durationUs / 1e6),
        'p50' => (int) $p50Us / 1000,
        'p99' => (int) $p99Us / 1000,
    ];
}
/** The median of each figure over the rounds (the mean of the middle two for an even count). */
$median = static function (array $values): float {
    sort($values);
    $n = count($values);
    return $n % 2 === 1 ? $values[intdiv($n, 2)] : ($values[$n / 2 - 1] + $values[$n / 2]) / 2;
};
/** @var array<string, array<string, array{rps: float, p50: float, p99: float}>> $runs mix → variant → figures */
$runs = [];
foreach ($rounds as $mix => $variants) {
    foreach ($variants as $variant => $list) {
        foreach (['rps', 'p50', 'p99'] as $field) {
            $runs[$mix][$variant][$field] = $median(array_column($list, $field));
        }
    }
}
foreach (MIXES as $mix => $_) {
    if (!isset($runs[$mix]['resident'])) {
        fwrite(STDERR, "report.php: no Resident figures for the $mix mix in $runsFile\n");
        exit(1);
    }
}

$env = static fn (string $name): string => (string) getenv($name);
$vcpus = (int) trim((string) shell_exec('nproc'));
$rows = [];
$behind = [];
foreach (MIXES as $mix => $mixLabel) {
    $base = $runs[$mix]['resident'];
    foreach (VARIANTS as $variant => $label) {
        $r = $runs[$mix][$variant] ?? null;
        if ($r === null) {
            continue;
        }
        $rows[] = [$mixLabel, $label, $r, $r['rps'] / $base['rps'], $r['p50'] / $base['p50'], $r['p99'] / $base['p99']];
        if ($variant !== 'resident') {
            foreach (['rps' => [$r['rps'] > $base['rps'], 'requests/s'], 'p50' => [$r['p50'] < $base['p50'], 'p50'], 'p99' => [$r['p99'] < $base['p99'], 'p99']] as [$ahead, $what]) {
                if ($ahead) {
                    $behind[] = "$mixLabel, $what: $label";
                }
            }
        }
    }
}

// The printed table.
$text = sprintf("%-11s %-27s %9s %7s %8s %7s %8s %7s\n", 'mix', 'variant', 'req/s', 'ratio', 'p50 ms', 'ratio', 'p99 ms', 'ratio');
foreach ($rows as [$mixLabel, $label, $r, $rps, $p50, $p99]) {
    $text .= sprintf("%-11s %-27s %9.0f %7.2f %8.2f %7.2f %8.2f %7.2f\n", $mixLabel, $label, $r['rps'], $rps, $r['p50'], $p50, $r['p99'], $p99);
}
echo $text;
echo "ratio: the variant's figure divided by Resident's (req/s below 1, latency above 1: Resident is ahead)\n";
echo $behind === [] ? "Resident is ahead in every case.\n" : "Resident is behind in: " . implode('; ', $behind) . "\n";

// The results files.
@mkdir($resultsDir, 0755, true);
$table = "| mix | variant | req/s | × Resident | p50 ms | × Resident | p99 ms | × Resident |\n|---|---|--:|--:|--:|--:|--:|--:|\n";
foreach ($rows as [$mixLabel, $label, $r, $rps, $p50, $p99]) {
    $table .= sprintf("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", $mixLabel, $label, number_format($r['rps']), $rps, $r['p50'], $p50, $r['p99'], $p99);
}
$pgSetup = $env('BENCH_HTTP_PG_SETUP') === 'laravel-default'
    ? "PostgreSQL with Laravel's defaults: a new connection per request, statements prepared on the server (prepare, execute, deallocate: three round trips each)"
    : "PostgreSQL tuned beyond Laravel's defaults, as a team that counts round trips would: persistent connections (one per PHP-FPM worker, as each worker keeps one residentd connection) and emulated prepares (one round trip per statement instead of three); `BENCH_HTTP_PG_SETUP=laravel-default` measures the defaults";
$measured = gmdate('Y-m-d H:i') . ' UTC';
$behindText = $behind === []
    ? 'Resident is ahead in every case of this run.'
    : 'Resident is **behind** in: ' . implode('; ', $behind) . '.';
$accounts = number_format((int) $env('BENCH_HTTP_ACCOUNTS_SEEDED'));
$roundsText = (int) $env('BENCH_HTTP_ROUNDS') > 1 ? "{$env('BENCH_HTTP_ROUNDS')} rounds, each figure the median over them" : 'one round';
$busy = $env('BENCH_HTTP_BUSY_BEFORE');
$md = <<<MD
    ## The bank over HTTP: Resident against Eloquent and stored events on PostgreSQL

    `make bench-http` ([bench/http](http)), measured $measured.

    One small bank — list accounts, show one account, increase a balance, transfer between
    two accounts — written three ways with the same routes and views, each served in turn by
    the same nginx and PHP-FPM set-up and driven by wrk over the loopback:

    - **Resident**: entities, an aggregate root and events; residentd holds the state in
      memory. A transfer is one event on the source account's stream that updates both
      accounts in one atomic commit; the funds check uses the aggregate's state.
    - **Eloquent + PostgreSQL**: Eloquent models (Laravel 8's illuminate/database), each
      write one transaction that locks the rows it reads (`SELECT … FOR UPDATE`).
    - **stored_events + PostgreSQL**: event sourcing as Laravel teams do it without
      Resident: the aggregate replays its events from a `stored_events` table (JSON payload,
      unique index on aggregate uuid + version as the optimistic lock), appends new ones
      and updates an `accounts` projection in the same transaction; reads come from the
      projection. A transfer appends one event to each account's stream.

    The mixes: **read-only** — 4 in 5 requests show one account, 1 in 5 show a page of 50
    accounts (page 1 to the last, by offset, with the total count); **write-only** — half
    increase a balance by 1, half transfer 1 between two accounts; **90 % reads** — the
    two, 9 to 1. Accounts are picked at random among $accounts, seeded with the same uuids
    and balances in every variant; every variant gets the same sequence of requests.

    Settings, the same for every variant:

    - nginx with 1 worker; PHP-FPM with `pm = static` and {$env('BENCH_HTTP_WORKERS')} workers; opcache on with
      `validate_timestamps = 0`, no JIT; no framework boot beyond what each variant needs
      (a Laravel application would add the same cost to each).
    - wrk with {$env('BENCH_HTTP_THREADS')} threads and {$env('BENCH_HTTP_CONNECTIONS')} connections, {$env('BENCH_HTTP_SECONDS')} s per case after a {$env('BENCH_HTTP_WARMUP')} s
      warm-up of the same load, mix by mix with the variants in turn, $roundsText; latency as
      wrk measures it (closed loop: a connection sends its next request when the answer
      arrives).
    - $pgSetup.
    - wrk, nginx, PHP-FPM, residentd and PostgreSQL share this machine's $vcpus vCPUs: these
      are figures of the whole stack on one box. The CPUs were $busy % busy just before the
      run (other work would disturb the figures).

    **Durability**: every write in every variant is on disk before it is answered —
    residentd `--fsync always`, PostgreSQL `fsync = on` and `synchronous_commit = on`, the
    data of both on {$env('BENCH_HTTP_FS')}. Each variant passes the smoke test of `make bench-http-check`
    (the same script of requests, checked against a model) before and after its runs, and
    any failed request (status 400 or above, socket error, timeout) stops the benchmark: no
    broken variant is measured.

    $table
    Each ratio is the variant's figure divided by Resident's: requests/s below 1 and
    latency above 1 mean Resident is ahead. $behindText What each variant spends its
    time on, and where Resident can lose (a case these mixes leave out), is in
    [bench/http/README.md](http/README.md#reading-the-results).

    MD;
file_put_contents("$resultsDir/http.md", $md);

$chart = static function (string $name, string $title, string $ylabel, string $field) use ($runs, $resultsDir): void {
    $tsv = "# title: $title\n# ylabel: $ylabel\nmix\t" . implode("\t", VARIANTS) . "\n";
    foreach (MIXES as $mix => $mixLabel) {
        $tsv .= $mixLabel;
        foreach (VARIANTS as $variant => $_) {
            // The same rounding as the table's, so that chart and table never differ.
            $tsv .= "\t" . (isset($runs[$mix][$variant]) ? sprintf('%.2f', $runs[$mix][$variant][$field]) : '?');
        }
        $tsv .= "\n";
    }
    file_put_contents("$resultsDir/http.$name.tsv", $tsv);
};
$chart('1-throughput', 'The bank over HTTP: requests per second (higher is better)', 'requests/s', 'rps');
$chart('2-p50', 'The bank over HTTP: median latency (lower is better)', 'p50 latency, ms', 'p50');
$chart('3-p99', 'The bank over HTTP: 99th percentile latency (lower is better)', 'p99 latency, ms', 'p99');
echo "wrote $resultsDir/http.md and its chart data\n";
