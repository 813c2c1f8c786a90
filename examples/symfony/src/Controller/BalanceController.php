<?php

namespace App\Controller;

use App\Account;
use App\AccountAggregateRoot;

class BalanceController
{
    public function increase(Account $account, int $amount)
    {
        AccountAggregateRoot::find($account)->increaseBalance($amount);
    }
}
