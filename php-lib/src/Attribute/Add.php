<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Adds the property's value to the entity field (int or float). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Add extends FieldAttribute
{
    public function operation(): string
    {
        return 'add';
    }
}
