<?php

declare(strict_types=1);

namespace Resident\Laravel\Testing;

use Resident\Testing\RefreshResident as FreshServer;

/**
 * For a Laravel test case (`use RefreshResident;` in tests/TestCase.php or a test): every
 * test starts on an empty throwaway residentd (php-lib's Resident\Testing\RefreshResident),
 * and the application's `resident.socket` config names that server, so the app, the
 * facade, artisan commands run with `$this->artisan()` and the HTTP test client all use it.
 */
trait RefreshResident
{
    use FreshServer;

    /** @before */
    #[\PHPUnit\Framework\Attributes\Before]
    protected function pointResidentConfigAtTheTestServer(): void
    {
        $this->afterApplicationCreated(function (): void {
            $this->app['config']->set('resident.socket', static::resident()->socket);
            ini_set('resident.socket', static::resident()->socket);
        });
    }
}
