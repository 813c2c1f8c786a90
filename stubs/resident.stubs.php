<?php

// Stubs for resident

namespace Resident {
    class AggregateRoot {
        private $recorded = null;

        private $state = null;

        private $uuid = null;

        private $version = 0;

        /**
         * Always refuses: aggregates are made by `create()` and `find()`.
         */
        public function __construct() {}

        /**
         * A new aggregate with this uuid (a random v4 uuid by default), at version 0.
         *
         * @param string|null $uuid
         * @return mixed
         */
        public static function create(?string $uuid = null): mixed {}

        /**
         * @param \Resident\Event $event
         * @return \Resident\AggregateRoot
         */
        public function event(\Resident\Event $event): \Resident\AggregateRoot {}

        /**
         * Loads the aggregate with this uuid (or this state entity's id).
         *
         * @param mixed $uuid_or_state
         * @return mixed
         */
        public static function find(mixed $uuid_or_state): mixed {}

        /**
         * @return \Resident\AggregateRoot
         */
        public function persist(): \Resident\AggregateRoot {}

        /**
         * @param \Resident\Event $event
         * @return \Resident\AggregateRoot
         */
        public function record(\Resident\Event $event): \Resident\AggregateRoot {}

        /**
         * @return \Resident\Entity|null
         */
        public function state(): ?\Resident\Entity {}

        /**
         * @return string
         */
        public function uuid(): string {}

        /**
         * @return int
         */
        public function version(): int {}
    }

    class Entity {
        /**
         * Does nothing (see fixup.rs); entities read from the server skip constructors.
         */
        public function __construct() {}

        /**
         * Every entity of the called class, ordered by id.
         *
         * @return array
         */
        public static function all(): array {}

        /**
         * How many entities of the called class exist.
         *
         * @return int
         */
        public static function count(): int {}

        /**
         * The entity with this id, or null.
         *
         * @param string $id
         * @return mixed
         */
        public static function find(string $id): mixed {}

        /**
         * Starts a query of the called class ordered by the field (ties broken by id).
         *
         * @param string $field
         * @param string $direction
         * @return \Resident\Query\Builder
         */
        public static function orderBy(string $field, string $direction = 'asc'): \Resident\Query\Builder {}

        /**
         * A query builder for the called entity class: Account::query()->where(…)->get().
         *
         * @return \Resident\Query\Builder
         */
        public static function query(): \Resident\Query\Builder {}

        /**
         * Starts a query of the called class: where('balance', '>', 100), where('name', 'Ann')
         * for =, or a group where(fn ($q) => $q->where(…)->orWhere(…)). See Resident\Query\Builder.
         *
         * @param mixed $field
         * @param mixed $operator
         * @param mixed $value
         * @return \Resident\Query\Builder
         */
        public static function where(mixed $field, mixed $operator = null, mixed $value = null): \Resident\Query\Builder {}

        /**
         * Starts a query of the called class: the field is one of the values.
         *
         * @param string $field
         * @param iterable $values
         * @return \Resident\Query\Builder
         */
        public static function whereIn(string $field, iterable $values): \Resident\Query\Builder {}

        /**
         * Starts a query of the called class: the field is none of the values.
         *
         * @param string $field
         * @param iterable $values
         * @return \Resident\Query\Builder
         */
        public static function whereNotIn(string $field, iterable $values): \Resident\Query\Builder {}

        /**
         * Starts a query of the called class: the field is not null.
         *
         * @param string $field
         * @return \Resident\Query\Builder
         */
        public static function whereNotNull(string $field): \Resident\Query\Builder {}

        /**
         * Starts a query of the called class: the field is null.
         *
         * @param string $field
         * @return \Resident\Query\Builder
         */
        public static function whereNull(string $field): \Resident\Query\Builder {}
    }

    class Event {
        /**
         * Does nothing (see fixup.rs); events declare their own constructors.
         */
        public function __construct() {}
    }

    /**
     * What this PHP request and this process asked of residentd: `['request' => [...],
     * 'process' => [...]]`, each with `requests` (frames sent, `hello` and schema
     * registrations included), `bytes_sent`, `bytes_received`, `wait_us` (time spent in calls
     * to residentd, connecting and waiting for a restart included), `connects` and
     * `reconnects`. `request` starts from zero with every PHP request; `process` counts
     * since the process started (a forked child starts from zero). Talks to nobody.
     *
     * @return array
     */
    function metrics(): array {}

    /**
     * True when residentd answers; false (no exception) when it cannot be reached. It does
     * not wait for a restarting server (`resident.reconnect_wait_ms`): it says how it is now.
     *
     * @return bool
     */
    function ping(): bool {}

    /**
     * Runs one query (the wire `query` operation) for the entity class `$class` and returns
     * the server's answer as an array: `entities` (objects of `$class`) and `next` for
     * `select: rows`, else `count`, `exists`, `value` or `values`; `plan` with `explain`.
     * Refusals throw `Resident\Exception\QueryException`. Meant to be called by
     * `Resident\Query\Builder`; `$spec` is its `spec()`.
     *
     * @param string $class
     * @param array $spec
     * @return mixed
     */
    function query(string $class, array $spec): mixed {}

    /**
     * The events of the stream `<aggregate>-<id>` from version `$from`, at most `$limit`
     * (the server caps it at `rows_max`): `['version' => n, 'events' => [['id', 'type',
     * 'version', 'position', 'data', 'meta'], …]]`. `$aggregate` is the wire name (the
     * short class name or its `#[Alias]`).
     *
     * @param string $aggregate
     * @param string $id
     * @param int $from
     * @param int $limit
     * @return mixed
     */
    function read(string $aggregate, string $id, int $from = 1, int $limit = 1000): mixed {}

    /**
     * Sends `['entities' => […], 'events' => […]]` (the wire `register` body, as
     * `Resident\Schema\Registry` builds it) and returns the answer: `changed` and
     * `schema_version`; with `$dry_run` nothing is recorded and the answer also holds
     * `refused` (why a real register would fail, or null) and `current` (the server's
     * definitions of the named types). A refused real register throws `SchemaException`.
     *
     * @param array $schema
     * @param bool $dry_run
     * @return mixed
     */
    function register(array $schema, bool $dry_run = false): mixed {}

    /**
     * Writes a snapshot now (`snapshot` op) and returns once it is on disk: `path`,
     * `position`, `entities`, `bytes`, `took_ms`. `ConnectionException` (`unavailable`) when
     * one is being written already.
     *
     * @return mixed
     */
    function snapshot(): mixed {}

    /**
     * The server's counters (`stats` op): position, events, streams, entities per type, …
     *
     * @return mixed
     */
    function stats(): mixed {}
}

namespace Resident\Exception {
    /**
     * The request was refused as invalid (bad_request) or too big (limit).
     */
    class BadRequestException extends \Resident\Exception\ResidentException {
        public function __construct() {}
    }

    /**
     * An expected stream version did not match: reload and retry.
     */
    class ConcurrencyException extends \Resident\Exception\ResidentException {
        protected ?int $actualVersion = 0;

        protected ?int $expectedVersion = 0;

        protected ?string $stream = null;

        public function __construct() {}

        /**
         * @return int
         */
        public function actualVersion(): int {}

        /**
         * @return int
         */
        public function expectedVersion(): int {}

        /**
         * @return string
         */
        public function stream(): string {}
    }

    /**
     * The socket is missing, refuses, times out, or the server refuses writes.
     */
    class ConnectionException extends \Resident\Exception\ResidentException {
        public function __construct() {}
    }

    class NotFound extends \Resident\Exception\ResidentException {
        public function __construct() {}
    }

    /**
     * The server or the client broke the protocol (malformed, too_large, unknown_op, internal).
     */
    class ProtocolException extends \Resident\Exception\ResidentException {
        public function __construct() {}
    }

    /**
     * A query was refused: an unknown field, operator or direction, a value of the wrong
     * kind (checked by php-lib's `Resident\Query\Builder` before sending), or anything the
     * server's `bad_request`/`limit` answer to the `query` operation names.
     */
    class QueryException extends \Resident\Exception\BadRequestException {
        public function __construct() {}
    }

    /**
     * Base of every Resident exception; `errorCode()` is the stable wire code.
     */
    class ResidentException extends \RuntimeException {
        protected ?string $errorCode = null;

        public function __construct() {}

        /**
         * @return string
         */
        public function errorCode(): string {}
    }

    class SchemaException extends \Resident\Exception\ResidentException {
        public function __construct() {}
    }
}
