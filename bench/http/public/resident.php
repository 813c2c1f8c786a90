<?php

declare(strict_types=1);

// Front controller of the Resident variant: the state lives in residentd's memory.
require __DIR__ . '/../../../php-lib/vendor/autoload.php';
require __DIR__ . '/../app/autoload.php';

Bench\Http\Shared\Front::serve(new Bench\Http\Resident\ResidentBank());
