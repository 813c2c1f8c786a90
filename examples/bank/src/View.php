<?php

declare(strict_types=1);

namespace App;

/** Renders the example's plain-PHP templates from views/. */
final class View
{
    /** @param array<string, mixed> $data */
    public static function render(string $template, array $data): string
    {
        extract($data);
        ob_start();
        require __DIR__ . '/../views/' . $template . '.php';
        return (string) ob_get_clean();
    }

    public static function redirect(string $to): string
    {
        // Under the CLI (tests) there is no response to redirect.
        if (!headers_sent()) {
            header('Location: ' . $to, true, 303);
        }
        return '';
    }

    public static function e(mixed $value): string
    {
        return htmlspecialchars((string) $value, ENT_QUOTES);
    }
}
