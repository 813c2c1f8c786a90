<?php

declare(strict_types=1);

namespace Bench\Http\Eloquent;

use Illuminate\Database\Eloquent\Model;

/**
 * An account row, as a Laravel team models it. No timestamps: every variant keeps the
 * same three fields, so none pays for more data than the others.
 */
final class Account extends Model
{
    protected $table = 'accounts';
    protected $primaryKey = 'uuid';
    protected $keyType = 'string';
    public $incrementing = false;
    public $timestamps = false;
    protected $fillable = ['uuid', 'name', 'balance'];
    protected $casts = ['balance' => 'integer'];
}
