<?php

namespace App\Http\Controllers;

use App\Bank\Account;
use App\Bank\AccountAggregateRoot;

class BalanceController
{
    public function increase(Account $account, int $amount)
    {
        AccountAggregateRoot::find($account)->increaseBalance($amount);
    }
}
