<?php

declare(strict_types=1);

namespace Resident\Schema;

use ReflectionClass;
use Resident\Attribute\Alias;

/**
 * The stable name a class has on the wire and in the log: its #[Alias], else its short
 * name. Data is stored under this name, never under the PHP class name, so a class can
 * move namespaces without orphaning what the server holds.
 */
final class WireName
{
    /** @param ReflectionClass<object> $class */
    public static function of(ReflectionClass $class): string
    {
        $alias = $class->getAttributes(Alias::class)[0] ?? null;
        $name = $alias === null ? $class->getShortName() : $alias->newInstance()->name;
        if (preg_match('/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/', $name) !== 1) {
            throw new \Resident\Exception\SchemaException(sprintf(
                'Wire name "%s" of %s is invalid: use letters, digits, "_" and "." (at most 128), starting with a letter.',
                $name,
                $class->getName(),
            ));
        }
        return $name;
    }
}
