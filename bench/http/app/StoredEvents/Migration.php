<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

use Illuminate\Database\Connection;
use Illuminate\Database\Schema\Blueprint;

/**
 * stored_events (the log: one row per event, JSON payload, unique per stream version)
 * and the accounts projection, made by Laravel's schema builder.
 */
final class Migration
{
    public static function up(Connection $db): void
    {
        $schema = $db->getSchemaBuilder();
        $schema->create('stored_events', static function (Blueprint $table): void {
            $table->bigIncrements('id');
            $table->uuid('aggregate_uuid');
            $table->unsignedInteger('aggregate_version');
            $table->string('event_class');
            $table->json('event_properties');
            $table->timestamp('created_at');
            $table->unique(['aggregate_uuid', 'aggregate_version'], 'stored_events_stream_version');
        });
        $schema->create('accounts', static function (Blueprint $table): void {
            $table->uuid('uuid')->primary();
            $table->string('name');
            $table->bigInteger('balance');
        });
    }
}
