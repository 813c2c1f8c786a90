<?php

use Monolog\Handler\TestHandler;

return [
    'default' => env('LOG_CHANNEL', 'single'),
    'channels' => [
        'single' => [
            'driver' => 'single',
            'path' => storage_path('logs/laravel.log'),
            'level' => 'debug',
        ],
        // The feature tests read what was logged from here.
        'test' => [
            'driver' => 'monolog',
            'handler' => TestHandler::class,
        ],
    ],
];
