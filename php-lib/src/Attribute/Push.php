<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** Appends the property's value to the entity field (an array). */
#[Attribute(Attribute::TARGET_PROPERTY | Attribute::TARGET_PARAMETER)]
final class Push implements FieldOperation
{
    public function __construct(public readonly ?string $field = null)
    {
    }

    public function operation(): string
    {
        return 'push';
    }

    public function field(): ?string
    {
        return $this->field;
    }
}
