<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** The event deletes the entity; it must exist. */
#[Attribute(Attribute::TARGET_CLASS | Attribute::IS_REPEATABLE)]
final class Deletes implements EntityRule
{
    /** @param class-string $entity */
    public function __construct(public readonly string $entity, public readonly ?string $id = null)
    {
    }

    public function operation(): string
    {
        return 'delete';
    }

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
        return [];
    }
}
