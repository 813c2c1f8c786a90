<?php

namespace App\Http\Controllers;

use App\Account;

class AccountsController
{
    public function index()
    {
        return view('accounts', ['accounts' => Account::all()]);
    }
}
