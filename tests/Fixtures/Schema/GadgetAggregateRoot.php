<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures\Schema;

use Resident\AggregateRoot;
use Resident\Attribute\Alias;
use Resident\Attribute\State;

#[Alias('GadgetAggregateRoot'), State(Gadget::class)]
final class GadgetAggregateRoot extends AggregateRoot
{
    public function make(string $label): self
    {
        $this->event(new GadgetMade($label));
        return $this;
    }
}
