<?php

declare(strict_types=1);

// Served by FpmTest's PHP-FPM pool: one stats() exchange, then this request's and this
// worker's counters as JSON.
Resident\stats();
echo json_encode(['pid' => getmypid()] + Resident\metrics());
