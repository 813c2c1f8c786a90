<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/** Renders the plain-PHP templates in app/views/ inside the shared layout. */
final class View
{
    /** @param array<string, mixed> $data */
    public static function page(string $title, string $template, array $data): string
    {
        $body = self::render($template, $data);
        return self::render('layout', ['title' => $title, 'body' => $body]);
    }

    /** @param array<string, mixed> $data */
    private static function render(string $template, array $data): string
    {
        extract($data);
        ob_start();
        require __DIR__ . '/../views/' . $template . '.php';
        return (string) ob_get_clean();
    }

    public static function e(mixed $value): string
    {
        return htmlspecialchars((string) $value, ENT_QUOTES);
    }
}
