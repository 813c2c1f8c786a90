<?php

declare(strict_types=1);

namespace Resident\Schema;

use FilesystemIterator;
use RecursiveDirectoryIterator;
use ReflectionClass;
use RecursiveIteratorIterator;
use Resident\AggregateRoot;
use Resident\Entity;
use Resident\Event;
use Resident\Exception\SchemaException;

/**
 * The schema an application's code declares: the entities, events and aggregates among
 * the classes under some directories, as one `register` body. The extension registers
 * each class at its first use; this is for seeing or sending all of it ahead of that
 * (at deploy time).
 */
final class CodeSchema
{
    /** PHP files read under the given directories; more is a misconfigured path. */
    private const FILES_MAX = 20_000;

    /** @var list<class-string>|null found at first use: a facade or service that is never asked pays nothing */
    private ?array $classes = null;

    /** @param list<string> $directories */
    private function __construct(private readonly array $directories)
    {
    }

    /**
     * The Entity, Event and AggregateRoot subclasses declared in the PHP files under these
     * directories (found when first asked for). Each class is loaded through the
     * autoloader, as a framework's discovery of commands or services would.
     *
     * @param list<string> $directories
     */
    public static function fromDirectories(array $directories): self
    {
        return new self($directories);
    }

    /** @return list<class-string> sorted */
    public function classes(): array
    {
        if ($this->classes === null) {
            $classes = [];
            foreach (self::phpFiles($this->directories) as $file) {
                foreach (self::declaredClasses($file) as $class) {
                    if (class_exists($class) && self::isResident($class)) {
                        $classes[] = $class;
                    }
                }
            }
            sort($classes);
            $this->classes = $classes;
        }
        return $this->classes;
    }

    /**
     * The `register` body for every class: each entity and event definition once, as the
     * extension would send them one class at a time.
     *
     * @return array{entities: list<array<string, mixed>>, events: list<array<string, mixed>>}
     */
    public function toWire(): array
    {
        $entities = [];
        $events = [];
        foreach ($this->classes() as $class) {
            $register = match (true) {
                is_subclass_of($class, Entity::class) => Registry::entity($class)['register'],
                is_subclass_of($class, Event::class) => Registry::event($class)['register'],
                is_subclass_of($class, AggregateRoot::class) => Registry::aggregate($class)['register'],
                default => throw new SchemaException("$class is not an entity, event or aggregate root."),
            };
            foreach ($register['entities'] as $entity) {
                $entities[$entity['name']] = $entity;
            }
            foreach ($register['events'] as $event) {
                $events[$event['name']] = $event;
            }
        }
        ksort($entities);
        ksort($events);
        return ['entities' => array_values($entities), 'events' => array_values($events)];
    }

    /** Abstract bases are not types of their own: their subclasses are. */
    private static function isResident(string $class): bool
    {
        return !(new ReflectionClass($class))->isAbstract() && (is_subclass_of($class, Entity::class)
            || is_subclass_of($class, Event::class)
            || is_subclass_of($class, AggregateRoot::class));
    }

    /**
     * @param list<string> $directories
     * @return list<string>
     */
    private static function phpFiles(array $directories): array
    {
        $files = [];
        foreach ($directories as $directory) {
            if (!is_dir($directory)) {
                throw new SchemaException("The schema path $directory is not a directory.");
            }
            $walk = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($directory, FilesystemIterator::SKIP_DOTS));
            foreach ($walk as $file) {
                if ($file->isFile() && $file->getExtension() === 'php') {
                    $files[] = $file->getPathname();
                }
                if (count($files) > self::FILES_MAX) {
                    throw new SchemaException("More than " . self::FILES_MAX . " PHP files under $directory: point the schema paths at the application's classes.");
                }
            }
        }
        sort($files);
        return $files;
    }

    /**
     * The classes a file declares, read from its tokens (the file is not run).
     *
     * @return list<string>
     */
    private static function declaredClasses(string $file): array
    {
        $tokens = \PhpToken::tokenize((string) file_get_contents($file));
        $namespace = '';
        $classes = [];
        foreach ($tokens as $i => $token) {
            if ($token->is(T_NAMESPACE)) {
                $namespace = self::nextName($tokens, $i) . '\\';
            } elseif ($token->is(T_CLASS) && !self::isClassConstant($tokens, $i)) {
                $name = self::nextName($tokens, $i);
                if ($name !== '') {
                    $classes[] = ltrim($namespace . $name, '\\');
                }
            }
        }
        return $classes;
    }

    /** @param list<\PhpToken> $tokens */
    private static function nextName(array $tokens, int $at): string
    {
        for ($i = $at + 1; $i < count($tokens); $i++) {
            if ($tokens[$i]->is([T_STRING, T_NAME_QUALIFIED])) {
                return $tokens[$i]->text;
            }
            if (!$tokens[$i]->isIgnorable()) {
                return ''; // `new class`, `namespace {`: nothing to name
            }
        }
        return '';
    }

    /** `Foo::class` uses the class keyword too. @param list<\PhpToken> $tokens */
    private static function isClassConstant(array $tokens, int $at): bool
    {
        for ($i = $at - 1; $i >= 0; $i--) {
            if (!$tokens[$i]->isIgnorable()) {
                return $tokens[$i]->is([T_DOUBLE_COLON, T_NEW]);
            }
        }
        return false;
    }
}
