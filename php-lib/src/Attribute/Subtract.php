<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Subtracts the property's value from the entity field (int or float). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Subtract extends FieldAttribute
{
    public function operation(): string
    {
        return 'subtract';
    }
}
