<?php

declare(strict_types=1);

namespace Resident\Attribute;

/**
 * The part of EntityRule shared by #[Creates], #[Updates] and #[Upserts]: they differ only
 * in their operation.
 */
trait FieldMaps
{
    public function entity(): string
    {
        return $this->entity;
    }

    public function idProperty(): ?string
    {
        return $this->id;
    }

    public function fieldMaps(): array
    {
        return array_filter([
            'set' => $this->set,
            'add' => $this->add,
            'subtract' => $this->subtract,
            'min' => $this->min,
            'max' => $this->max,
            'push' => $this->push,
            'pull' => $this->pull,
            'meta' => $this->meta,
        ]);
    }
}
