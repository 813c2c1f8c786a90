<?php

declare(strict_types=1);

// The bench application's classes: Bench\Http\<Dir>\<Class> lives in app/<Dir>/<Class>.php.
// A few lines instead of a Composer autoloader, so the bench needs no composer install.
spl_autoload_register(static function (string $class): void {
    $prefix = 'Bench\\Http\\';
    if (str_starts_with($class, $prefix)) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
