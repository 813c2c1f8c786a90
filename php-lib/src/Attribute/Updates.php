<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** The event changes an existing entity; it must exist. Arguments: see FieldMapRule. */
#[Attribute(Attribute::TARGET_CLASS | Attribute::IS_REPEATABLE)]
final class Updates extends FieldMapRule
{
    public function operation(): string
    {
        return 'update';
    }
}
