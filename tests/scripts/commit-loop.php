<?php

declare(strict_types=1);

// RestartUnderLoadTest: commits +1 to one account and reads it back, again and again, until
// the file named by argv[2] exists; writes the number of commits so far to argv[1] after
// each. Any exception ends it with exit code 1. Prints {"uuid", "commits"}.
// `check <uuid>` instead prints the account's balance, its aggregate's version and the
// number of events in its stream.
require __DIR__ . '/../bootstrap-child.php';

use App\Account;
use App\AccountAggregateRoot;

if ($argv[1] === 'check') {
    $read = Resident\read('AccountAggregateRoot', $argv[2], 1, 100_000);
    echo json_encode([
        'balance' => Account::find($argv[2])->balance,
        'version' => AccountAggregateRoot::find($argv[2])->version(),
        'events' => count($read['events']),
    ]), "\n";
    exit(0);
}

[, $progress, $stop] = $argv;
$root = AccountAggregateRoot::create()->open('Restart');
$commits = 0;
while (!file_exists($stop)) {
    $root->increaseBalance(1);
    $commits++;
    $balance = Account::find($root->uuid())->balance;
    if ($balance !== $commits) {
        fwrite(STDERR, "after $commits commits the balance is $balance\n");
        exit(1);
    }
    file_put_contents($progress, (string) $commits);
}
echo json_encode(['uuid' => $root->uuid(), 'commits' => $commits]), "\n";
