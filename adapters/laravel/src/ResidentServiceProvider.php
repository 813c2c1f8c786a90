<?php

declare(strict_types=1);

namespace Resident\Laravel;

use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Exceptions\Handler;
use Illuminate\Foundation\Http\Kernel;
use Illuminate\Routing\Router;
use Illuminate\Support\ServiceProvider;
use Resident\Console\SchemaCheckCommand;
use Resident\Console\SchemaPushCommand;
use Resident\Console\SnapshotCommand;
use Resident\Console\StatusCommand;
use Resident\Laravel\Exceptions\ResidentExceptions;
use Resident\Laravel\Http\SubstituteEntityBindings;
use Resident\Operations;
use Resident\Schema\CodeSchema;
use Resident\Schema\SchemaSync;

/**
 * Wires Resident into a Laravel application: the config (config/resident.php) handed to
 * the extension, the `Resident` facade, the artisan commands, route binding of entities in
 * the `web` and `api` middleware groups, and exception handling (a missing entity is a
 * 404, a conflict a 409, and Resident exceptions are logged with their context).
 */
final class ResidentServiceProvider extends ServiceProvider
{
    private const CONFIG = __DIR__ . '/../config/resident.php';

    public function register(): void
    {
        $this->mergeConfigFrom(self::CONFIG, 'resident');
        $this->app->singleton(Operations::class, fn ($app): Operations => new Operations(
            new SchemaSync(CodeSchema::fromDirectories($app['config']->get('resident.schema_paths'))),
        ));
        $this->app->alias(Operations::class, 'resident');
    }

    public function boot(): void
    {
        // Read by the extension when it opens its connection, i.e. at first use.
        ini_set('resident.socket', (string) $this->app['config']->get('resident.socket'));
        ini_set('resident.timeout_ms', (string) $this->app['config']->get('resident.timeout_ms'));

        $this->publishes([self::CONFIG => $this->app->configPath('resident.php')], 'resident-config');
        if ($this->app->runningInConsole()) {
            $this->commands([StatusCommand::class, SnapshotCommand::class, SchemaCheckCommand::class, SchemaPushCommand::class]);
        }

        $this->app['router']->aliasMiddleware('resident.bindings', SubstituteEntityBindings::class);
        $this->callAfterResolving(HttpKernel::class, static function (HttpKernel $kernel): void {
            if ($kernel instanceof Kernel) {
                SubstituteEntityBindings::addToGroups($kernel, ['web', 'api']);
            }
        });
        $this->callAfterResolving(ExceptionHandler::class, function (ExceptionHandler $handler): void {
            if ($handler instanceof Handler) {
                ResidentExceptions::handleIn($handler, fn () => $this->app['log']);
            }
        });
    }
}
