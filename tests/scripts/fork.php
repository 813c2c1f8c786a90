<?php

declare(strict_types=1);

// ForkTest: this process connects, then forks (as a queue worker or pcntl code does); the
// parent and the child each read their own account 300 times at the same moment. Had they
// shared the parent's socket, answers would cross or the connection would break. Prints
// {"parent": {...}, "child": {...}} with what each saw and its counters.
require __DIR__ . '/../bootstrap-child.php';

use App\Account;
use App\AccountAggregateRoot;

/** Reads `$uuid` $times times; says how many answers were another account, and the first failure. */
function readOwn(string $uuid, string $name, int $times): array
{
    $wrong = 0;
    $error = null;
    for ($i = 0; $i < $times && $error === null; $i++) {
        try {
            $wrong += Account::find($uuid)->name === $name ? 0 : 1;
        } catch (Throwable $e) {
            $error = $e::class . ': ' . $e->getMessage();
        }
    }
    return ['wrong' => $wrong, 'error' => $error, 'metrics' => Resident\metrics()['process']];
}

$parentAccount = AccountAggregateRoot::create()->open('Parent')->uuid();
$childAccount = AccountAggregateRoot::create()->open('Child')->uuid();
$report = sys_get_temp_dir() . '/resident-fork-' . getmypid() . '.json';

$pid = pcntl_fork();
if ($pid === -1) {
    fwrite(STDERR, "pcntl_fork failed\n");
    exit(1);
}
if ($pid === 0) {
    file_put_contents($report, json_encode(readOwn($childAccount, 'Child', 300)));
    exit(0);
}
$parent = readOwn($parentAccount, 'Parent', 300);
pcntl_waitpid($pid, $status);
$child = json_decode((string) @file_get_contents($report), true) ?? ['exit' => $status];
@unlink($report);
// The parent's connection outlived the child's exit.
$parent['after'] = Account::find($parentAccount)->name;
echo json_encode(['parent' => $parent, 'child' => $child]), "\n";
