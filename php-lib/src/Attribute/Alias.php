<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/**
 * The stable name an entity, event or aggregate class has on the wire and in the log.
 * Without it the name is the short class name; set it before renaming or moving a class
 * so stored data keeps its name.
 */
#[Attribute(Attribute::TARGET_CLASS)]
final class Alias
{
    public function __construct(public readonly string $name)
    {
    }
}
