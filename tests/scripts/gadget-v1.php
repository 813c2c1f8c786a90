<?php

declare(strict_types=1);

// SchemaSyncTest's child: an older Gadget, whose weight was a string, with one gadget made,
// so the server refuses the current Gadget (weight int).
require __DIR__ . '/../bootstrap-child.php';

use Resident\AggregateRoot;
use Resident\Attribute\Alias;
use Resident\Attribute\Creates;
use Resident\Attribute\State;
use Resident\Entity;
use Resident\Event;

#[Alias('Gadget')]
final class OldGadget extends Entity
{
    public string $uuid;
    public string $label;
    public string $weight = 'light';
}

#[Alias('GadgetMade'), Creates(OldGadget::class)]
final class OldGadgetMade extends Event
{
    public function __construct(public string $label)
    {
    }
}

#[Alias('GadgetAggregateRoot'), State(OldGadget::class)]
final class OldGadgetAggregateRoot extends AggregateRoot
{
}

OldGadgetAggregateRoot::create()->event(new OldGadgetMade('first'));
echo OldGadget::count(), "\n";
