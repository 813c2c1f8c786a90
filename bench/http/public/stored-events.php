<?php

declare(strict_types=1);

// Front controller of the stored-events variant: stored_events plus a projection table on
// PostgreSQL, written in one transaction.
require '/usr/share/php/Illuminate/Database/autoload.php';
require __DIR__ . '/../app/autoload.php';

Bench\Http\Shared\Front::serve(new Bench\Http\StoredEvents\StoredEventsBank(Bench\Http\Postgres\Database::connect()));
