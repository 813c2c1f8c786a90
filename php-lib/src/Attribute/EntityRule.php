<?php

declare(strict_types=1);

namespace Resident\Attribute;

/**
 * What every event-class rule attribute (#[Creates], #[Updates], #[Upserts], #[Deletes])
 * tells the schema extractor: which entity, which event property holds its id, and the
 * class-level field maps used when one event touches several entities.
 */
interface EntityRule
{
    /** The wire operation: create, update, upsert or delete. */
    public function operation(): string;

    /** @return class-string The entity class the rule changes. */
    public function entity(): string;

    /** The event property that holds the entity id; null means the aggregate's uuid. */
    public function idProperty(): ?string;

    /**
     * Field maps by operation: ['add' => ['balance' => 'amount'], 'meta' => [...]].
     * A value naming an event property reads that property; any other value is a constant.
     *
     * @return array<string, array<string, mixed>>
     */
    public function fieldMaps(): array;
}
