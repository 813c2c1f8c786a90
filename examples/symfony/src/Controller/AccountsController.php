<?php

namespace App\Controller;

use App\Account;

use function App\view;

class AccountsController
{
    public function index()
    {
        return view('accounts', ['accounts' => Account::all()]);
    }
}
