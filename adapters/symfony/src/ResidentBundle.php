<?php

declare(strict_types=1);

namespace Resident\Bundle;

use Symfony\Component\HttpKernel\Bundle\Bundle;

/**
 * Resident in a Symfony application: config/packages/resident.yaml (see
 * DependencyInjection\Configuration), the resident:* console commands, Entity-typed
 * controller arguments read from residentd, and exception handling (a missing entity is
 * a 404, a conflict a 409, Resident exceptions logged with their context).
 */
final class ResidentBundle extends Bundle
{
    /** The extension reads its settings when it opens its connection, i.e. at first use. */
    public function boot(): void
    {
        $this->container->get(ConnectionSettings::class)->apply();
    }
}
