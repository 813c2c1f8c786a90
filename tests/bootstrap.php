<?php

declare(strict_types=1);

// PHPUnit bootstrap: the classes (as for child processes) plus the shared residentd that
// every suite talks to (php-lib's throwaway test server, pointed at by RESIDENT_SOCKET).
require __DIR__ . '/bootstrap-child.php';
require '/usr/share/php/Symfony/Component/Console/autoload.php';

Resident\Testing\TestServer::shared();
