<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Subtracts the property's value from the entity field (int or float). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Subtract implements FieldOperation
{
    public function __construct(public readonly ?string $field = null)
    {
    }

    public function operation(): string
    {
        return 'subtract';
    }

    public function field(): ?string
    {
        return $this->field;
    }
}
