<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures;

use Resident\AggregateRoot;
use Resident\Attribute\State;

#[State(Customer::class)]
final class CustomerAggregateRoot extends AggregateRoot
{
    public function join(string $name, int $balance, int $score = 0, ?string $city = null, float $rate = 0.0, bool $vip = false): self
    {
        $this->event(new CustomerJoined($name, $balance, $score, $rate, $vip));
        if ($city !== null) {
            $this->event(new CustomerMoved($city));
        }
        return $this;
    }

    public function score(int $points): self
    {
        $this->event(new CustomerScored($points));
        return $this;
    }

    public function leave(): self
    {
        $this->event(new CustomerLeft());
        return $this;
    }
}
