<?php

declare(strict_types=1);

// For the child PHP processes the suites start: classes without a server of their own
// (the parent's socket comes in RESIDENT_SOCKET).
require __DIR__ . '/../examples/bank/bootstrap.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'Resident\\Tests\\';
    if (str_starts_with($class, $prefix)) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
