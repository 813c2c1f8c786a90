<?php

declare(strict_types=1);

namespace Resident\Schema;

/**
 * Compares the code's schema with the server's, and registers it: the deploy-time side of
 * schema changes (`resident:schema:check`, `resident:schema:push`). The check is a
 * `register` dry run, so it changes nothing on the server.
 */
final class SchemaSync
{
    public function __construct(private readonly CodeSchema $code)
    {
    }

    public function check(): SchemaReport
    {
        $wire = $this->code->toWire();
        $answer = \Resident\register($wire, true);
        return new SchemaReport(
            count($this->code->classes()),
            SchemaDiff::between($wire, $answer['current']),
            $answer['changed'],
            $answer['refused'],
            $answer['schema_version'],
        );
    }

    /**
     * Registers the code's schema unless the server would refuse it (then the report says
     * why and nothing is sent). A change refused in between throws SchemaException.
     */
    public function push(): SchemaReport
    {
        $check = $this->check();
        if (!$check->changed || $check->refused !== null) {
            return $check;
        }
        $answer = \Resident\register($this->code->toWire());
        return new SchemaReport($check->classes, $check->diff, true, null, $answer['schema_version'], pushed: true);
    }
}
