<?php

declare(strict_types=1);

namespace Bench\Http\Resident;

use Bench\Http\Shared\Refused;
use Resident\AggregateRoot;
use Resident\Attribute\State;

/**
 * Decides on one account. Its state is the Account with the same uuid, loaded with the
 * stream version: a commit made on a stale version is refused (ConcurrencyException).
 * Money leaves an account only through its own stream, so the funds check cannot be
 * overtaken by another withdrawal; money arriving meanwhile only makes it safer.
 */
#[State(Account::class)]
final class AccountAggregateRoot extends AggregateRoot
{
    public function open(string $name, int $balance): self
    {
        $this->event(new AccountOpened($name, $balance));
        return $this;
    }

    public function increaseBalance(int $amount): self
    {
        if ($amount <= 0) {
            throw new Refused('The amount must be positive.');
        }
        $this->event(new BalanceIncreased($amount));
        return $this;
    }

    public function transferTo(string $to, int $amount): self
    {
        if ($amount <= 0 || $to === $this->uuid()) {
            throw new Refused('A transfer needs a positive amount and two different accounts.');
        }
        $state = $this->state();
        if (!$state instanceof Account || $state->balance < $amount) {
            throw new Refused('Insufficient funds.');
        }
        $this->event(new MoneyTransferred($this->uuid(), $to, $amount));
        return $this;
    }
}
