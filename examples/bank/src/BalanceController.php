<?php

declare(strict_types=1);

namespace App;

use Resident\Retry;

/** Increases a balance by recording a durable event on the account's aggregate. */
final class BalanceController
{
    /** @param array<string, mixed> $input */
    public function increase(string $uuid, array $input): string
    {
        $account = Account::find($uuid) ?? throw new \Resident\Exception\NotFound("No account $uuid.");
        $amount = (int) ($input['amount'] ?? 0);
        // Another request may change the same account at the same moment: load again and retry.
        Retry::onConflict(static fn () => AccountAggregateRoot::find($account)->increaseBalance($amount));
        return View::redirect('/');
    }
}
