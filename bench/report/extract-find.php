<?php

declare(strict_types=1);

// Chart data from what bench/find printed (bench/results/find.txt):
//   php extract-find.php find.txt OUT_DIR   → OUT_DIR/find.1-latency.tsv
// Reads the "label — …" headings and the two timing lines under each; writes nothing
// (and says so) when the text no longer looks like that, rather than a wrong chart.
[$in, $out] = [$argv[1] ?? '', $argv[2] ?? ''];
$rows = [];
$label = null;
foreach (file($in, FILE_IGNORE_NEW_LINES) ?: [] as $line) {
    if (preg_match('/^(\S.*?) — \d+ reads/u', $line, $m) === 1) {
        $label = $m[1];
    } elseif ($label !== null && preg_match('/^  (Resident Account::find\(\)|phpredis GET \+ json_decode)\s+([\d.]+)\s+([\d.]+)$/', $line, $m) === 1) {
        $rows["$label, p50"][$m[1]] = $m[2];
        $rows["$label, p99"][$m[1]] = $m[3];
    }
}
$series = ['Resident Account::find()', 'phpredis GET + json_decode'];
if ($rows === []) {
    fwrite(STDERR, "extract-find.php: no timings found in $in; no chart\n");
    exit(0);
}
$tsv = "# title: Account::find() against phpredis GET + json_decode (lower is better)\n# ylabel: µs per read\ncase\t" . implode("\t", $series) . "\n";
foreach ($rows as $case => $values) {
    $tsv .= $case . "\t" . implode("\t", array_map(static fn (string $s): string => $values[$s] ?? '?', $series)) . "\n";
}
file_put_contents("$out/find.1-latency.tsv", $tsv);
