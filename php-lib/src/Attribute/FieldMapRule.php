<?php

declare(strict_types=1);

namespace Resident\Attribute;

/**
 * What #[Creates], #[Updates] and #[Upserts] share: the entity, the id property and the
 * class-level field maps. They differ only in their operation.
 *
 * Without field maps, the event's properties apply to the entity by their own
 * attributes (#[Set], #[Add], …) or, with none, set the field of the same name.
 */
abstract class FieldMapRule implements EntityRule
{
    /**
     * @param class-string $entity
     * @param ?string $id                    the event property holding the entity id; null: the aggregate's uuid
     * @param array<string, mixed> $set      field => event property or constant
     * @param array<string, mixed> $add
     * @param array<string, mixed> $subtract
     * @param array<string, mixed> $min
     * @param array<string, mixed> $max
     * @param array<string, mixed> $push
     * @param array<string, mixed> $pull
     * @param array<string, string> $meta    field => recorded_at, position, version, event_id, correlation_id or causation_id
     */
    final public function __construct(
        public readonly string $entity,
        public readonly ?string $id = null,
        public readonly array $set = [],
        public readonly array $add = [],
        public readonly array $subtract = [],
        public readonly array $min = [],
        public readonly array $max = [],
        public readonly array $push = [],
        public readonly array $pull = [],
        public readonly array $meta = [],
    ) {
    }

    final public function entity(): string
    {
        return $this->entity;
    }

    final public function idProperty(): ?string
    {
        return $this->id;
    }

    final public function fieldMaps(): array
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
