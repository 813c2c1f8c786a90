<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/** The front controller: hands the request's globals to the routes and sends the answer. */
final class Front
{
    public static function serve(Bank $bank): void
    {
        $path = parse_url((string) ($_SERVER['REQUEST_URI'] ?? '/'), PHP_URL_PATH);
        (new Router($bank))
            ->handle((string) ($_SERVER['REQUEST_METHOD'] ?? 'GET'), is_string($path) ? $path : '/', $_GET, $_POST)
            ->send();
    }
}
