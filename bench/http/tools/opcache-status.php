<?php

declare(strict_types=1);

// Run inside a PHP-FPM worker (through cgi-fcgi) after the warm-up: proves opcache is on
// there and shows what it holds, for the report.
$status = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
if (!is_array($status) || !$status['opcache_enabled']) {
    echo "opcache OFF\n";
    exit;
}
printf(
    "opcache on, %d scripts cached, validate_timestamps=%s, jit=%s\n",
    $status['opcache_statistics']['num_cached_scripts'],
    ini_get('opcache.validate_timestamps') ? 'on' : 'off',
    ($status['jit']['on'] ?? false) ? 'on' : 'off',
);
