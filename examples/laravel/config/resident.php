<?php

// Published from resident/laravel with `php artisan vendor:publish --tag=resident-config`.

return [
    // The Unix socket residentd listens on. The extension reads RESIDENT_SOCKET itself
    // too (it wins over php.ini), so a value in .env reaches every connection.
    'socket' => env('RESIDENT_SOCKET', '/run/resident/resident.sock'),

    // How long one request to residentd may take, in milliseconds.
    'timeout_ms' => (int) env('RESIDENT_TIMEOUT_MS', 5000),

    // Where resident:schema:check and resident:schema:push find the Entity, Event and
    // AggregateRoot classes whose schema they compare with the server's. (This app's
    // domain is the bank example's, autoloaded as App\ from ../bank/src.)
    'schema_paths' => [base_path('../bank/src')],
];
