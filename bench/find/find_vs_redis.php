<?php

declare(strict_types=1);

// One entity read by primary key, from PHP: Resident's Account::find() (a CBOR round trip
// plus native hydration into an Account object) against phpredis GET of the same account
// stored as JSON plus json_decode into an object — what a PHP team caches today.
require __DIR__ . '/../../examples/bank/bootstrap.php';

use App\Account;
use App\AccountAggregateRoot;

const ACCOUNTS = 1_000;
const ROUNDS = 20_000;
const WARMUP = 1_000;

$redis = new Redis();
$redis->connect(getenv('REDIS_SOCKET'));

$uuids = [];
for ($i = 0; $i < ACCOUNTS; $i++) {
    $root = AccountAggregateRoot::create()->open("Account $i")->increaseBalance($i + 1);
    $uuids[] = $root->uuid();
    $redis->set('account:' . $root->uuid(), json_encode(get_object_vars($root->state())));
}

/** @return array{float, float} median and p99 in microseconds */
function measure(callable $read, array $uuids): array
{
    $samples = [];
    for ($i = 0; $i < WARMUP + ROUNDS; $i++) {
        $uuid = $uuids[$i % count($uuids)];
        $t = hrtime(true);
        $account = $read($uuid);
        $elapsed = hrtime(true) - $t;
        if ($account->uuid !== $uuid) {
            throw new RuntimeException("read the wrong account for $uuid");
        }
        if ($i >= WARMUP) {
            $samples[] = $elapsed / 1000;
        }
    }
    sort($samples);
    return [$samples[intdiv(count($samples), 2)], $samples[(int) floor(count($samples) * 0.99)]];
}

$resident = measure(static fn (string $uuid) => Account::find($uuid), $uuids);
$redisJson = measure(static fn (string $uuid) => json_decode($redis->get('account:' . $uuid)), $uuids);

printf("\n%s — %d reads of %d accounts, after %d warm-up reads\n", getenv('BENCH_LABEL'), ROUNDS, ACCOUNTS, WARMUP);
printf("  %-38s %9s %9s\n", '', 'p50 µs', 'p99 µs');
printf("  %-38s %9.1f %9.1f\n", 'Resident Account::find()', ...$resident);
printf("  %-38s %9.1f %9.1f\n", 'phpredis GET + json_decode', ...$redisJson);
printf("  ratio Resident / Redis (p50): %.2f  (below 1 means Resident is faster)\n", $resident[0] / $redisJson[0]);
