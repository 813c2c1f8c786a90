<?php

declare(strict_types=1);

// The functional smoke test against one running variant (see Bench\Http\Tools\Smoke):
//   php smoke.php PORT > balances.txt
// Prints the touched balances and page 1, for comparing variants; exits 1 on a failure.
require __DIR__ . '/../app/autoload.php';

use Bench\Http\Tools\HttpClient;
use Bench\Http\Tools\SeedAccounts;
use Bench\Http\Tools\Smoke;

$port = (int) ($argv[1] ?? 0);
if ($port <= 0 || $port > 65535) {
    fwrite(STDERR, "usage: php smoke.php PORT\n");
    exit(2);
}
$smoke = new Smoke(new HttpClient('127.0.0.1', $port), SeedAccounts::count());
try {
    echo implode("\n", $smoke->run()), "\n";
} catch (RuntimeException $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(1);
}
fprintf(STDERR, "  smoke test passed (%d checks)\n", $smoke->checks());
