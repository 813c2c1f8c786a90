<?php

declare(strict_types=1);

// The bank example's classes (namespace App, in src/) and php-lib.
require __DIR__ . '/../../php-lib/vendor/autoload.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        $file = __DIR__ . '/src/' . substr($class, 4) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

if (!extension_loaded('resident')) {
    throw new RuntimeException('The resident extension is not loaded: run PHP with -d extension=/path/to/libresident.so (make run does).');
}
