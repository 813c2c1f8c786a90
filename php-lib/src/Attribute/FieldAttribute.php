<?php

declare(strict_types=1);

namespace Resident\Attribute;

/** What the property attributes #[Set], #[Add], … share: the entity field they change. */
abstract class FieldAttribute implements FieldOperation
{
    /** @param ?string $field the entity field; null means the field named like the property */
    final public function __construct(public readonly ?string $field = null)
    {
    }

    final public function field(): ?string
    {
        return $this->field;
    }
}
