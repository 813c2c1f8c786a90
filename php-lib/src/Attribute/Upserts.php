<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/**
 * The event creates the entity when it is missing (fields start at their defaults), then changes it.
 *
 * Without field maps, the event's properties apply to the entity by their own
 * attributes (#[Set], #[Add], …) or, with none, set the field of the same name.
 */
#[Attribute(Attribute::TARGET_CLASS | Attribute::IS_REPEATABLE)]
final class Upserts implements EntityRule
{
    use FieldMaps;

    /**
     * @param class-string $entity
     * @param array<string, mixed> $set      field => event property or constant
     * @param array<string, mixed> $add
     * @param array<string, mixed> $subtract
     * @param array<string, mixed> $min
     * @param array<string, mixed> $max
     * @param array<string, mixed> $push
     * @param array<string, mixed> $pull
     * @param array<string, string> $meta    field => recorded_at, position, version, event_id, correlation_id or causation_id
     */
    public function __construct(
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

    public function operation(): string
    {
        return 'upsert';
    }
}
