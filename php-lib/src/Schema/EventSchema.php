<?php

declare(strict_types=1);

namespace Resident\Schema;

use ReflectionAttribute;
use ReflectionClass;
use ReflectionProperty;
use Resident\Attribute\EntityRule;
use Resident\Attribute\FieldOperation;
use Resident\Event;
use Resident\Exception\SchemaException;

/**
 * An event class's projection rules, read from its attributes: which entities it creates,
 * changes or deletes, and how each of its properties changes their fields.
 */
final class EventSchema
{
    /** Event metadata a field can be set from with `meta:`. */
    private const META = ['recorded_at', 'position', 'version', 'event_id', 'correlation_id', 'causation_id'];

    /**
     * @param list<array<string, mixed>> $rules wire rules
     * @param list<EntitySchema> $entities the entities the rules touch
     */
    private function __construct(
        public readonly string $name,
        public readonly array $rules,
        public readonly array $entities,
    ) {
    }

    public static function of(string $class): self
    {
        if (!is_subclass_of($class, Event::class)) {
            throw new SchemaException(sprintf('%s is not an event: it must be a class that extends %s.', $class, Event::class));
        }
        $reflection = new ReflectionClass($class);
        $attributes = $reflection->getAttributes(EntityRule::class, ReflectionAttribute::IS_INSTANCEOF);
        if ($attributes === []) {
            throw new SchemaException(sprintf(
                'Event %s has no projection rules: add #[Creates(Entity::class)], #[Updates(…)], #[Upserts(…)] or #[Deletes(…)] so the server knows what it changes.',
                $class,
            ));
        }
        $properties = [];
        foreach ($reflection->getProperties(ReflectionProperty::IS_PUBLIC) as $property) {
            if (!$property->isStatic()) {
                $properties[$property->getName()] = $property;
            }
        }
        $rules = [];
        $entities = [];
        foreach ($attributes as $attribute) {
            $rule = $attribute->newInstance();
            $entity = EntitySchema::of($rule->entity());
            $entities[$entity->class] = $entity;
            $rules[] = self::rule($class, $rule, $entity, $properties, count($attributes) === 1);
        }
        return new self(WireName::of($reflection), $rules, array_values($entities));
    }

    /** The event definition of the wire `register` operation. */
    public function toWire(): array
    {
        return ['name' => $this->name, 'rules' => $this->rules];
    }

    /**
     * @param array<string, ReflectionProperty> $properties the event's public properties
     * @param bool $only whether this is the event's only rule: then property attributes
     *                   and same-named properties apply to it
     */
    private static function rule(string $class, EntityRule $rule, EntitySchema $entity, array $properties, bool $only): array
    {
        $idProperty = $rule->idProperty();
        if ($idProperty !== null && !isset($properties[$idProperty])) {
            throw new SchemaException(sprintf('%s names id: "%s", but has no public property $%s to read the %s id from: add the property, or name another one in id:.', $class, $idProperty, $idProperty, $entity->name));
        }
        $fields = [];
        foreach ($rule->fieldMaps() as $operation => $map) {
            foreach ($map as $field => $source) {
                self::assertField($class, $entity, (string) $field);
                $fields[$field] = match (true) {
                    $operation === 'meta' => ['field' => $field, 'op' => 'set', 'meta' => self::meta($class, $source)],
                    is_string($source) && isset($properties[$source]) => ['field' => $field, 'op' => $operation, 'prop' => $source],
                    default => ['field' => $field, 'op' => $operation, 'value' => $source],
                };
            }
        }
        foreach ($properties as $name => $property) {
            $operation = $property->getAttributes(FieldOperation::class, ReflectionAttribute::IS_INSTANCEOF)[0] ?? null;
            if (!$only) {
                if ($operation !== null) {
                    throw new SchemaException(sprintf('%s::$%s has a field attribute, but the event has several rules: name each rule\'s fields in its class attribute (add: [...], set: [...]).', $class, $name));
                }
                continue;
            }
            if ($operation !== null) {
                $operation = $operation->newInstance();
                $field = $operation->field() ?? $name;
                self::assertField($class, $entity, $field);
                $fields[$field] = ['field' => $field, 'op' => $operation->operation(), 'prop' => $name];
            } elseif ($name !== $idProperty && $name !== $entity->id && $entity->hasField($name) && !isset($fields[$name])) {
                $fields[$name] = ['field' => $name, 'op' => 'set', 'prop' => $name];
            }
        }
        if ($rule->operation() === 'delete') {
            $fields = [];
        }
        return ['op' => $rule->operation(), 'entity' => $entity->name, 'id' => $idProperty, 'fields' => array_values($fields)];
    }

    private static function assertField(string $class, EntitySchema $entity, string $field): void
    {
        if (!$entity->hasField($field)) {
            throw new SchemaException(sprintf('%s changes field "%s" of %s, which has no such public property: add it to %3$s, or correct the field name in the attribute.', $class, $field, $entity->class));
        }
    }

    private static function meta(string $class, mixed $source): string
    {
        if (!in_array($source, self::META, true)) {
            throw new SchemaException(sprintf('%s sets a field from meta "%s"; known metadata: %s.', $class, (string) json_encode($source), implode(', ', self::META)));
        }
        return $source;
    }
}
