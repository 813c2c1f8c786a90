<?php

declare(strict_types=1);

// Opens a few accounts when the server holds none, so the example has something to show.
require __DIR__ . '/bootstrap.php';

use App\Account;
use App\AccountAggregateRoot;

if (Account::count() === 0) {
    foreach (['Alice' => 100, 'Bob' => 50, 'Carol' => 0] as $name => $balance) {
        $root = AccountAggregateRoot::create()->open($name);
        if ($balance > 0) {
            $root->increaseBalance($balance);
        }
    }
    echo "Opened 3 example accounts.\n";
}
