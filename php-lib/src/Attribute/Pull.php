<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Removes every element equal to the property's value from the entity field (an array). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Pull implements FieldOperation
{
    public function __construct(public readonly ?string $field = null)
    {
    }

    public function operation(): string
    {
        return 'pull';
    }

    public function field(): ?string
    {
        return $this->field;
    }
}
