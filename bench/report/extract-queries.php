<?php

declare(strict_types=1);

// Chart data from what bench/queries printed (bench/results/queries.txt):
//   php extract-queries.php queries.txt OUT_DIR   → OUT_DIR/queries.<n>-<size>.tsv
// One chart per data size: each case (unpinned and pinned) with Resident's median and each
// peer's, on a log axis (they differ by orders of magnitude). Writes nothing (and says so)
// when the text no longer looks as expected, rather than a wrong chart.
[$in, $out] = [$argv[1] ?? '', $argv[2] ?? ''];
$sizes = [];
$size = null;
foreach (file($in, FILE_IGNORE_NEW_LINES) ?: [] as $line) {
    if (preg_match('/^(\d+) accounts$/', $line, $m) === 1) {
        $size = (int) $m[1];
    } elseif ($size !== null && preg_match('/^  (\S.{35})\s*([\d,]+\.\d)((?:  .+? [\d,]+\.\d µs \([\d.]+×\))+)\s*$/u', $line, $m) === 1) {
        $case = trim($m[1]);
        $sizes[$size][$case]['Resident'] = str_replace(',', '', $m[2]);
        preg_match_all('/  (.+?) ([\d,]+\.\d) µs/u', $m[3], $peers, PREG_SET_ORDER);
        foreach ($peers as [, $peer, $us]) {
            $sizes[$size][$case][trim($peer)] = str_replace(',', '', $us);
        }
    }
}
if ($sizes === []) {
    fwrite(STDERR, "extract-queries.php: no timings found in $in; no chart\n");
    exit(0);
}
$n = 0;
foreach ($sizes as $size => $cases) {
    $series = [];
    foreach ($cases as $values) {
        $series = array_values(array_unique([...$series, ...array_keys($values)]));
    }
    $tsv = sprintf("# title: Queries from PHP, %s accounts: median per call (lower is better)\n# ylabel: µs per call (log scale)\n# scale: log\ncase\t%s\n", number_format($size), implode("\t", $series));
    foreach ($cases as $case => $values) {
        $tsv .= $case . "\t" . implode("\t", array_map(static fn (string $s): string => $values[$s] ?? '?', $series)) . "\n";
    }
    file_put_contents(sprintf('%s/queries.%d-%d.tsv', $out, ++$n, $size), $tsv);
}
