<?php

declare(strict_types=1);

namespace App\View;

/** A template and its data, returned by a controller; ViewListener renders it. */
final class View
{
    /** @param array<string, mixed> $data */
    public function __construct(public readonly string $template, public readonly array $data)
    {
    }
}
