<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

use Illuminate\Database\Eloquent\Model;

/**
 * One row of stored_events: an aggregate's event at a version. The unique index on
 * (aggregate_uuid, aggregate_version) is the optimistic lock: two requests that append
 * the same version cannot both commit.
 */
final class StoredEvent extends Model
{
    public const UPDATED_AT = null;
    protected $table = 'stored_events';
    protected $fillable = ['aggregate_uuid', 'aggregate_version', 'event_class', 'event_properties'];
    protected $casts = ['aggregate_version' => 'integer', 'event_properties' => 'array'];
}
