<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** The event creates the entity when it is missing (fields start at their defaults), then changes it. Arguments: see FieldMapRule. */
#[Attribute(Attribute::TARGET_CLASS | Attribute::IS_REPEATABLE)]
final class Upserts extends FieldMapRule
{
    public function operation(): string
    {
        return 'upsert';
    }
}
