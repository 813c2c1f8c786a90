<?php

declare(strict_types=1);

namespace App\Http\Controllers;

use App\AccountAggregateRoot;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;

/** The form under the list: opens an account, then back to the list. */
final class OpenAccountController
{
    public function __invoke(Request $request): RedirectResponse
    {
        $input = $request->validate(['name' => ['required', 'string', 'max:100']]);
        AccountAggregateRoot::create()->open($input['name']);
        return redirect('/');
    }
}
