<?php

declare(strict_types=1);

// QueryTest's concurrent writer: while the parent pages through the customers of one
// city, commit new customers there, delete the "volatile" ones and change scores, until
// the parent creates "$barrier/stop". Prints the inserted and deleted uuids as JSON.
require __DIR__ . '/../bootstrap-child.php';

use Resident\Tests\Fixtures\CustomerAggregateRoot;

[, $barrier, $city] = $argv;
$plan = json_decode((string) file_get_contents("$barrier/plan.json"), true, 512, JSON_THROW_ON_ERROR);
$volatile = $plan['volatile'];
$stable = $plan['stable'];
$inserted = [];
$deleted = [];
mt_srand(7);
touch("$barrier/started");
$deadline = microtime(true) + 20;
for ($round = 0; !file_exists("$barrier/stop") && microtime(true) < $deadline; $round++) {
    switch ($round % 3) {
        case 0:
            $inserted[] = CustomerAggregateRoot::create()
                ->join("New$round", mt_rand(-5, 25) * 10, mt_rand(0, 20), $city, mt_rand(0, 8) / 4)
                ->uuid();
            break;
        case 1:
            if ($volatile !== []) {
                $uuid = array_pop($volatile);
                CustomerAggregateRoot::find($uuid)->leave();
                $deleted[] = $uuid;
            }
            break;
        default:
            CustomerAggregateRoot::find($stable[mt_rand(0, count($stable) - 1)])->score(1);
    }
    usleep(500);
}
echo json_encode(['inserted' => $inserted, 'deleted' => $deleted, 'rounds' => $round]), "\n";
