<?php

declare(strict_types=1);

// Front controller of the Eloquent variant: models on PostgreSQL, a transaction per write.
require '/usr/share/php/Illuminate/Database/autoload.php';
require __DIR__ . '/../app/autoload.php';

Bench\Http\Shared\Front::serve(new Bench\Http\Eloquent\EloquentBank(Bench\Http\Postgres\Database::connect()));
