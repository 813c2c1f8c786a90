<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** On an aggregate root: its decision state is the entity of this class with the aggregate's uuid. */
#[Attribute(Attribute::TARGET_CLASS)]
final class State
{
    /** @param class-string $entity */
    public function __construct(public readonly string $entity)
    {
    }
}
