<?php

declare(strict_types=1);

namespace App;

/** Lists the accounts, answered from the server's memory. */
final class AccountsController
{
    public function index(): string
    {
        return View::render('accounts', ['accounts' => Account::all(), 'count' => Account::count()]);
    }

    /** @param array<string, mixed> $input */
    public function open(array $input): string
    {
        AccountAggregateRoot::create()->open((string) ($input['name'] ?? ''));
        return View::redirect('/');
    }
}
