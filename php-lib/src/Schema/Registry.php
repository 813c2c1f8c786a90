<?php

declare(strict_types=1);

namespace Resident\Schema;

use ReflectionClass;
use Resident\AggregateRoot;
use Resident\Attribute\State;
use Resident\Exception\SchemaException;

/**
 * What the extension asks of PHP: the wire name and the schema of a class, the first time
 * the class is used on a connection. Answers are cached for the life of the process
 * (reflection is slow; classes do not change while a process runs).
 *
 * Each answer holds `name` and `register`, the body of the wire `register` operation,
 * which the extension sends before it first uses the class.
 */
final class Registry
{
    /** @var array<string, array<string, mixed>> */
    private static array $answers = [];

    /** @var array<string, class-string> wire name => class, to refuse two classes on one name */
    private static array $names = [];

    /** @var array<string, EntitySchema> by class name as given */
    private static array $entitySchemas = [];

    /** @return array{name: string, id: string, register: array} */
    public static function entity(string $class): array
    {
        return self::$answers['entity:' . $class] ??= self::describeEntity($class);
    }

    /**
     * The entity class's shape (fields, types, id, indexes), for code that checks what it
     * sends, such as the query builder.
     */
    public static function entitySchema(string $class): EntitySchema
    {
        return self::$entitySchemas[$class] ??= EntitySchema::of($class);
    }

    /** @return array{name: string, register: array} */
    public static function event(string $class): array
    {
        return self::$answers['event:' . $class] ??= self::describeEvent($class);
    }

    /** @return array{name: string, state: ?string, state_class: ?string, register: array} */
    public static function aggregate(string $class): array
    {
        return self::$answers['aggregate:' . $class] ??= self::describeAggregate($class);
    }

    private static function describeEntity(string $class): array
    {
        $entity = self::entitySchema($class);
        self::claim('entity', $entity->name, $entity->class);
        return [
            'name' => $entity->name,
            'id' => $entity->id,
            'register' => ['entities' => [$entity->toWire()], 'events' => []],
        ];
    }

    private static function describeEvent(string $class): array
    {
        $event = EventSchema::of($class);
        self::claim('event', $event->name, ltrim($class, '\\'));
        foreach ($event->entities as $entity) {
            self::claim('entity', $entity->name, $entity->class);
        }
        return [
            'name' => $event->name,
            'register' => [
                'entities' => array_map(static fn (EntitySchema $e): array => $e->toWire(), $event->entities),
                'events' => [$event->toWire()],
            ],
        ];
    }

    private static function describeAggregate(string $class): array
    {
        if (!is_subclass_of($class, AggregateRoot::class)) {
            throw new SchemaException(sprintf('%s is not an aggregate root: it must be a class that extends %s.', $class, AggregateRoot::class));
        }
        $reflection = new ReflectionClass($class);
        $name = WireName::of($reflection);
        self::claim('aggregate', $name, $reflection->getName());
        $state = $reflection->getAttributes(State::class)[0] ?? null;
        if ($state === null) {
            return ['name' => $name, 'state' => null, 'state_class' => null, 'register' => ['entities' => [], 'events' => []]];
        }
        $entity = self::entity($state->newInstance()->entity);
        return [
            'name' => $name,
            'state' => $entity['name'],
            'state_class' => ltrim($state->newInstance()->entity, '\\'),
            'register' => $entity['register'],
        ];
    }

    /** Two classes must never share a wire name: their data would mix. */
    private static function claim(string $kind, string $name, string $class): void
    {
        $class = (new ReflectionClass($class))->getName();
        $owner = self::$names[$kind . ':' . $name] ??= $class;
        if ($owner !== $class) {
            throw new SchemaException(sprintf(
                'Both %s and %s are the %s "%s" on the wire; give one of them #[Alias(\'…\')].',
                $owner,
                $class,
                $kind,
                $name,
            ));
        }
    }
}
