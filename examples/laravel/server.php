<?php

// PHP's built-in web server as Laravel's router: serves files under public/ as they
// are and everything else through public/index.php (`php artisan serve` runs this).

$uri = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '');

if ($uri !== '/' && file_exists(__DIR__ . '/public' . $uri)) {
    return false;
}

require_once __DIR__ . '/public/index.php';
