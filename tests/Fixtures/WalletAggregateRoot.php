<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\AggregateRoot;
use Resident\Attribute\State;

#[State(Wallet::class)]
final class WalletAggregateRoot extends AggregateRoot
{
    public function open(string $owner): self
    {
        $this->event(new WalletOpened($owner));
        return $this;
    }

    public function deposit(int $amount): self
    {
        $this->event(new Deposited($amount, $amount));
        return $this;
    }
}
