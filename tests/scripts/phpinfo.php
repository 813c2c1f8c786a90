<?php

declare(strict_types=1);

// PhpInfoTest: the extension's phpinfo() section before this process has a connection
// (phpinfo() must not open one) and after a commit. Prints both as JSON, with the counters
// after the first phpinfo() and the server's own stats.
require __DIR__ . '/../bootstrap-child.php';

use App\AccountAggregateRoot;

/** @return array<string, string> the rows of the "resident" section of phpinfo() */
function residentSection(): array
{
    ob_start();
    phpinfo(INFO_MODULES);
    $text = (string) ob_get_clean();
    if (!preg_match('/^resident\n\n(.*?)\n\n/ms', $text, $m)) {
        return [];
    }
    $rows = [];
    foreach (explode("\n", $m[1]) as $line) {
        [$name, $value] = explode(' => ', $line, 2) + [1 => ''];
        $rows[$name] = $value;
    }
    return $rows;
}

$before = residentSection();
$metrics = Resident\metrics()['process'];
AccountAggregateRoot::create()->open('Info');
$after = residentSection();
echo json_encode(['before' => $before, 'metrics' => $metrics, 'after' => $after, 'stats' => Resident\stats()]), "\n";
