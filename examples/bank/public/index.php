<?php

declare(strict_types=1);

use App\AccountsController;
use App\BalanceController;

require __DIR__ . '/../bootstrap.php';

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';

try {
    echo match (true) {
        $method === 'GET' && $path === '/' => (new AccountsController())->index(),
        $method === 'POST' && $path === '/accounts' => (new AccountsController())->open($_POST),
        $method === 'POST' && preg_match('#^/accounts/([0-9a-f-]{36})/increase$#', $path, $m) === 1
            => (new BalanceController())->increase($m[1], $_POST),
        default => (static function (): string {
            http_response_code(404);
            return "Not found\n";
        })(),
    };
} catch (Resident\Exception\NotFound $e) {
    http_response_code(404);
    echo htmlspecialchars($e->getMessage()), "\n";
} catch (InvalidArgumentException | Resident\Exception\BadRequestException $e) {
    http_response_code(422);
    echo htmlspecialchars($e->getMessage()), "\n";
}
