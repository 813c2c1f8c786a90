<?php

declare(strict_types=1);

namespace App;

use App\View\View;

/**
 * `return view('accounts', [...])` from a controller: the template (templates/<name>.html.twig)
 * and its data, rendered by View\ViewListener. It lets the controllers read as in the
 * Laravel example.
 *
 * @param array<string, mixed> $data
 */
function view(string $template, array $data = []): View
{
    return new View($template, $data);
}
