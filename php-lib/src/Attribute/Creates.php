<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** The event creates the entity; it must not exist yet. Arguments: see FieldMapRule. */
#[Attribute(Attribute::TARGET_CLASS | Attribute::IS_REPEATABLE)]
final class Creates extends FieldMapRule
{
    public function operation(): string
    {
        return 'create';
    }
}
