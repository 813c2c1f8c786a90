<?php

declare(strict_types=1);

namespace Bench\Http\Eloquent;

use Illuminate\Database\Connection;
use Illuminate\Database\Schema\Blueprint;

/** The accounts table, made by Laravel's schema builder as a migration would make it. */
final class Migration
{
    public static function up(Connection $db): void
    {
        $db->getSchemaBuilder()->create('accounts', static function (Blueprint $table): void {
            $table->uuid('uuid')->primary();
            $table->string('name');
            $table->bigInteger('balance');
        });
    }
}
