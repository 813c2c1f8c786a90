<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

use Illuminate\Database\Eloquent\Model;

/** The read model: one row per account, kept up to date by AccountProjector. */
final class AccountProjection extends Model
{
    protected $table = 'accounts';
    protected $primaryKey = 'uuid';
    protected $keyType = 'string';
    public $incrementing = false;
    public $timestamps = false;
    protected $fillable = ['uuid', 'name', 'balance'];
    protected $casts = ['balance' => 'integer'];
}
