<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Appends the property's value to the entity field (an array). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Push extends FieldAttribute
{
    public function operation(): string
    {
        return 'push';
    }
}
