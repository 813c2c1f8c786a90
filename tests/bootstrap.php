<?php

declare(strict_types=1);

// PHPUnit bootstrap: the classes (as for child processes) plus the shared residentd that
// every suite talks to.
require __DIR__ . '/bootstrap-child.php';

Resident\Tests\Support\ResidentServer::shared();
