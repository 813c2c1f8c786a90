<?php

declare(strict_types=1);

// Prints the uuids the load generator may pick, one a line: every seed account but the
// smoke test's, so that the smoke test can run before and after a measurement.
require __DIR__ . '/../app/autoload.php';

use Bench\Http\Tools\SeedAccounts;

foreach (SeedAccounts::all(SeedAccounts::count()) as $number => [$uuid]) {
    if ($number >= SeedAccounts::SMOKE_ACCOUNTS) {
        echo $uuid, "\n";
    }
}
