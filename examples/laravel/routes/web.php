<?php

use App\Http\Controllers\AccountsController;
use App\Http\Controllers\BalanceController;
use App\Http\Controllers\OpenAccountController;
use Illuminate\Support\Facades\Route;

Route::get('/', [AccountsController::class, 'index']);
Route::post('/accounts', OpenAccountController::class);

// {account} is bound to the App\Account with that uuid (a 404 when there is none).
Route::post('/accounts/{account}/increase/{amount}', [BalanceController::class, 'increase'])
    ->where('amount', '[1-9][0-9]{0,8}');
