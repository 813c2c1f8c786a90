<?php

declare(strict_types=1);

namespace App\Bank;

use Resident\AggregateRoot;
use Resident\Attribute\State;

/** Decides on an account; its state is the Account with the same uuid. */
#[State(Account::class)]
final class AccountAggregateRoot extends AggregateRoot
{
    public function open(string $name): self
    {
        $this->event(new AccountOpened($name));
        return $this;
    }

    public function increaseBalance(int $amount): self
    {
        if ($amount <= 0) {
            throw new \InvalidArgumentException('The amount must be positive.');
        }
        $this->event(new BalanceIncreased($amount));
        return $this;
    }
}
