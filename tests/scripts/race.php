<?php

declare(strict_types=1);

// One side of ConcurrencyTest's race: load the aggregate, wait until the other side has
// loaded it too, then write. Prints "won" or "conflict then retried".
require __DIR__ . '/../bootstrap-child.php';

use App\AccountAggregateRoot;
use Resident\Exception\ConcurrencyException;
use Resident\Retry;

[, $uuid, $barrier, $me, $amount] = $argv;
$root = AccountAggregateRoot::find($uuid);
touch("$barrier/$me");
$deadline = microtime(true) + 10;
while (count(glob("$barrier/*")) < 2 && microtime(true) < $deadline) {
    usleep(1000);
}
try {
    $root->increaseBalance((int) $amount);
    echo "won\n";
} catch (ConcurrencyException) {
    Retry::onConflict(static fn () => AccountAggregateRoot::find($uuid)->increaseBalance((int) $amount));
    echo "conflict then retried\n";
}
