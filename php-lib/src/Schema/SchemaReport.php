<?php

declare(strict_types=1);

namespace Resident\Schema;

/**
 * The outcome of comparing the code's schema with the server's (and of pushing it): the
 * difference, whether the server would refuse it and why, and its schema version.
 */
final class SchemaReport
{
    public function __construct(
        public readonly int $classes,
        public readonly SchemaDiff $diff,
        public readonly bool $changed,
        public readonly ?string $refused,
        public readonly int $schemaVersion,
        public readonly bool $pushed = false,
    ) {
    }

    /** For deploy scripts: 0 in sync (or pushed), 1 changes to push, 2 refused by the server. */
    public function exitCode(): int
    {
        return match (true) {
            $this->refused !== null => 2,
            $this->changed && !$this->pushed => 1,
            default => 0,
        };
    }

    /** @return list<string> what a person needs to read, the difference first */
    public function lines(): array
    {
        $summary = match (true) {
            $this->refused !== null => "The server refuses this change: {$this->refused}",
            $this->pushed => "Pushed: the server's schema is now version {$this->schemaVersion}.",
            $this->changed => "Not pushed yet: run resident:schema:push to register it (schema version {$this->schemaVersion} now).",
            default => "In sync: the server has the schema of these {$this->classes} classes (schema version {$this->schemaVersion}).",
        };
        $unchanged = $this->diff->unchanged > 0 && !$this->diff->isEmpty() ? ["= {$this->diff->unchanged} types unchanged"] : [];
        return [...$this->diff->lines, ...$unchanged, $summary];
    }
}
