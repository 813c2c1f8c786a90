<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Sets the entity field to the property's value. */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Set implements FieldOperation
{
    public function __construct(public readonly ?string $field = null)
    {
    }

    public function operation(): string
    {
        return 'set';
    }

    public function field(): ?string
    {
        return $this->field;
    }
}
