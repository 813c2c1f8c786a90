<?php

declare(strict_types=1);

// Prints how many accounts are seeded (BENCH_HTTP_ACCOUNTS, checked), for the shell runners.
require __DIR__ . '/../app/autoload.php';

echo Bench\Http\Tools\SeedAccounts::count(), "\n";
