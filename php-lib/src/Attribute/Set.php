<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Sets the entity field to the property's value. */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Set extends FieldAttribute
{
    public function operation(): string
    {
        return 'set';
    }
}
