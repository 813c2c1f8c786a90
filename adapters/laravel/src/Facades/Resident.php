<?php

declare(strict_types=1);

namespace Resident\Laravel\Facades;

use Illuminate\Support\Facades\Facade;
use Resident\Operations;

/**
 * `Resident::stats()`, `Resident::snapshot()`, `Resident::ping()`, `Resident::schema()->check()`,
 * `Resident::retry(fn () => …)`: the application's Resident\Operations.
 *
 * @method static bool ping()
 * @method static array stats()
 * @method static array snapshot()
 * @method static \Resident\Schema\SchemaSync schema()
 * @method static mixed retry(callable $work, int $attempts = 5)
 *
 * @see Operations
 */
final class Resident extends Facade
{
    protected static function getFacadeAccessor(): string
    {
        return Operations::class;
    }
}
