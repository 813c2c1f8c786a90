<?php

declare(strict_types=1);

// FailedWriterTest's PHP processes. `write`: opens accounts until residentd refuses,
// and prints {"opened": n, "first": uuid, "error": message}. `read UUID`: a fresh
// process (its first use of Account registers the schema), prints {"count": n,
// "name": the account's name}.
require __DIR__ . '/../bootstrap-child.php';

use App\Account;
use App\AccountAggregateRoot;
use Resident\Exception\ConnectionException;

if ($argv[1] === 'write') {
    $opened = [];
    try {
        while (count($opened) < 1000) {
            $opened[] = AccountAggregateRoot::create()->open('Account ' . count($opened))->uuid();
        }
        $error = 'never refused';
    } catch (ConnectionException $e) {
        $error = $e->getMessage();
    }
    echo json_encode(['opened' => count($opened), 'first' => $opened[0] ?? null, 'error' => $error]);
} else {
    echo json_encode(['count' => Account::count(), 'name' => Account::find($argv[2])?->name]);
}
