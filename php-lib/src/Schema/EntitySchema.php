<?php

declare(strict_types=1);

namespace Resident\Schema;

use ReflectionClass;
use ReflectionNamedType;
use ReflectionProperty;
use Resident\Attribute\Id;
use Resident\Attribute\Index;
use Resident\Entity;
use Resident\Exception\SchemaException;

/**
 * An entity class's shape as the server needs it: its wire name, id field, typed fields
 * with defaults, and indexes — read from public typed properties by reflection.
 */
final class EntitySchema
{
    /** Field types the server checks values against, by PHP type name. */
    private const TYPES = ['int' => 'int', 'float' => 'float', 'string' => 'string', 'bool' => 'bool', 'array' => 'array', 'mixed' => 'mixed'];

    /**
     * @param array<string, array<string, mixed>> $fields by field name
     * @param list<string> $indexes
     */
    private function __construct(
        public readonly string $class,
        public readonly string $name,
        public readonly string $id,
        public readonly array $fields,
        public readonly array $indexes,
    ) {
    }

    public static function of(string $class): self
    {
        if (!is_subclass_of($class, Entity::class)) {
            throw new SchemaException(sprintf('%s is not an entity: it must be a class that extends %s.', $class, Entity::class));
        }
        $reflection = new ReflectionClass($class);
        $fields = [];
        $indexes = [];
        $id = null;
        foreach ($reflection->getProperties(ReflectionProperty::IS_PUBLIC) as $property) {
            if ($property->isStatic()) {
                continue;
            }
            $name = $property->getName();
            $fields[$name] = self::field($class, $property);
            if ($property->getAttributes(Id::class) !== []) {
                if ($id !== null) {
                    throw new SchemaException(sprintf('%s marks both $%s and $%s with #[Id]; an entity has one id.', $class, $id, $name));
                }
                $id = $name;
            }
            if ($property->getAttributes(Index::class) !== []) {
                $indexes[] = $name;
            }
        }
        $id ??= isset($fields['uuid']) ? 'uuid' : null;
        if ($id === null) {
            throw new SchemaException(sprintf('%s has no id: declare a public string $uuid, or mark the id property with #[Id].', $class));
        }
        if ($fields[$id]['type'] !== 'string') {
            throw new SchemaException(sprintf('%s::$%s is the id, so it must be declared string.', $class, $id));
        }
        return new self($class, WireName::of($reflection), $id, $fields, $indexes);
    }

    /** The entity definition of the wire `register` operation. */
    public function toWire(): array
    {
        return [
            'name' => $this->name,
            'id' => $this->id,
            'fields' => array_values($this->fields),
            'indexes' => $this->indexes,
        ];
    }

    public function hasField(string $field): bool
    {
        return isset($this->fields[$field]);
    }

    /** @return array<string, mixed> */
    private static function field(string $class, ReflectionProperty $property): array
    {
        $type = $property->getType();
        $typeName = match (true) {
            $type === null => 'mixed',
            $type instanceof ReflectionNamedType => self::TYPES[$type->getName()] ?? null,
            default => null,
        };
        if ($typeName === null) {
            throw new SchemaException(sprintf(
                '%s::$%s has type %s; entity fields may be int, float, string, bool, array or mixed (nullable allowed).',
                $class,
                $property->getName(),
                (string) $type,
            ));
        }
        $field = ['name' => $property->getName(), 'type' => $typeName, 'nullable' => $type === null || $type->allowsNull()];
        if ($property->hasDefaultValue() && $property->getDefaultValue() !== null) {
            $field['default'] = $property->getDefaultValue();
        }
        return $field;
    }
}
