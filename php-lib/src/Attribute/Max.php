<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Keeps the larger of the entity field and the property's value. */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Max extends FieldAttribute
{
    public function operation(): string
    {
        return 'max';
    }
}
