<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Removes every element equal to the property's value from the entity field (an array). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Pull extends FieldAttribute
{
    public function operation(): string
    {
        return 'pull';
    }
}
