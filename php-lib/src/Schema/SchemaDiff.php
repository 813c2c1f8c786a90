<?php

declare(strict_types=1);

namespace Resident\Schema;

/**
 * What registering the code's schema would change on the server, as lines for people:
 *
 *     + entity Wallet: uuid string, owner string, balance int = 0; index balance
 *     ~ entity Account: + field email string|null
 *     ~ event BalanceIncreased:
 *         - rule: update Account (stream id): balance add prop amount
 *         + rule: update Account (stream id): balance subtract prop amount
 *
 * Both sides are `register` bodies: the code's (CodeSchema::toWire()) and the server's
 * current definitions of the same types (a dry run's `current`).
 */
final class SchemaDiff
{
    /** @param list<string> $lines */
    private function __construct(public readonly array $lines, public readonly int $unchanged)
    {
    }

    /**
     * @param array{entities: list<array<string, mixed>>, events: list<array<string, mixed>>} $code
     * @param array{entities?: list<array<string, mixed>>, events?: list<array<string, mixed>>} $server
     */
    public static function between(array $code, array $server): self
    {
        $lines = [];
        $unchanged = 0;
        $serverEntities = array_column($server['entities'] ?? [], null, 'name');
        foreach ($code['entities'] as $entity) {
            $change = self::entityChange($entity, $serverEntities[$entity['name']] ?? null);
            $change === [] ? $unchanged++ : array_push($lines, ...$change);
        }
        $serverEvents = array_column($server['events'] ?? [], null, 'name');
        foreach ($code['events'] as $event) {
            $change = self::eventChange($event, $serverEvents[$event['name']] ?? null);
            $change === [] ? $unchanged++ : array_push($lines, ...$change);
        }
        return new self($lines, $unchanged);
    }

    public function isEmpty(): bool
    {
        return $this->lines === [];
    }

    /**
     * @param array<string, mixed> $code
     * @param array<string, mixed>|null $server
     * @return list<string>
     */
    private static function entityChange(array $code, ?array $server): array
    {
        $fields = array_map(self::field(...), $code['fields']);
        if ($server === null) {
            $indexes = $code['indexes'] === [] ? '' : '; index ' . implode(', ', $code['indexes']);
            return ["+ entity {$code['name']}: " . implode(', ', $fields) . $indexes];
        }
        $changes = [];
        if (($code['id'] ?? 'uuid') !== ($server['id'] ?? 'uuid')) {
            $changes[] = "id field {$server['id']} → {$code['id']}";
        }
        $was = array_combine(array_column($server['fields'], 'name'), array_map(self::field(...), $server['fields']));
        $now = array_combine(array_column($code['fields'], 'name'), $fields);
        array_push($changes, ...self::setChange('field', $was, $now));
        $indexes = fn (array $list): array => array_combine($list, $list);
        array_push($changes, ...self::setChange('index', $indexes($server['indexes'] ?? []), $indexes($code['indexes'] ?? [])));
        return self::grouped("entity {$code['name']}", $changes);
    }

    /**
     * @param array<string, mixed> $code
     * @param array<string, mixed>|null $server
     * @return list<string>
     */
    private static function eventChange(array $code, ?array $server): array
    {
        $now = array_map(self::rule(...), $code['rules']);
        if ($server === null) {
            return ["+ event {$code['name']}: " . implode('; ', $now)];
        }
        $was = array_map(self::rule(...), $server['rules']);
        if ($was === $now) {
            return [];
        }
        $changes = [];
        foreach ($was as $rule) {
            $changes[] = "- rule: $rule";
        }
        foreach ($now as $rule) {
            $changes[] = "+ rule: $rule";
        }
        return self::grouped("event {$code['name']}", $changes);
    }

    /**
     * Members added (+), removed (-) and changed (~, old → new), by name.
     *
     * @param array<string, string> $was descriptions by name
     * @param array<string, string> $now
     * @return list<string>
     */
    private static function setChange(string $kind, array $was, array $now): array
    {
        $changes = [];
        foreach ($now as $name => $description) {
            if (!isset($was[$name])) {
                $changes[] = "+ $kind $description";
            } elseif ($was[$name] !== $description) {
                $changes[] = "~ $kind {$was[$name]} → $description";
            }
        }
        foreach (array_diff_key($was, $now) as $description) {
            $changes[] = "- $kind $description";
        }
        return $changes;
    }

    /**
     * One line when there is one change, else a heading and the changes indented.
     *
     * @param list<string> $changes
     * @return list<string>
     */
    private static function grouped(string $what, array $changes): array
    {
        return match (count($changes)) {
            0 => [],
            1 => ["~ $what: {$changes[0]}"],
            default => ["~ $what:", ...array_map(static fn (string $c): string => "    $c", $changes)],
        };
    }

    /** "balance int = 0", "note string|null". @param array<string, mixed> $field */
    private static function field(array $field): string
    {
        $type = $field['type'] . (($field['nullable'] ?? false) ? '|null' : '');
        $default = array_key_exists('default', $field) ? ' = ' . self::value($field['default']) : '';
        return "{$field['name']} $type$default";
    }

    /** "update Account (stream id): balance add prop amount". @param array<string, mixed> $rule */
    private static function rule(array $rule): string
    {
        $id = $rule['id'] === null ? '(stream id)' : "(id from {$rule['id']})";
        $fields = array_map(static function (array $f): string {
            $source = match (true) {
                array_key_exists('prop', $f) => "prop {$f['prop']}",
                array_key_exists('meta', $f) => "meta {$f['meta']}",
                default => 'value ' . self::value($f['value'] ?? null),
            };
            return "{$f['field']} {$f['op']} $source";
        }, $rule['fields'] ?? []);
        return "{$rule['op']} {$rule['entity']} $id" . ($fields === [] ? '' : ': ' . implode(', ', $fields));
    }

    private static function value(mixed $value): string
    {
        return (string) json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
    }
}
