<?php

declare(strict_types=1);

namespace Resident\Attribute;

/**
 * An attribute on an event property saying how it changes one entity field
 * (#[Set], #[Add], #[Subtract], #[Min], #[Max], #[Push], #[Pull]).
 */
interface FieldOperation
{
    /** The wire operation: set, add, subtract, min, max, push or pull. */
    public function operation(): string;

    /** The entity field; null means the field named like the property. */
    public function field(): ?string;
}
