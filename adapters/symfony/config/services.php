<?php

// The bundle's services; ResidentExtension sets the resident.* parameters first.

declare(strict_types=1);

namespace Symfony\Component\DependencyInjection\Loader\Configurator;

use Resident\Bundle\ConnectionSettings;
use Resident\Bundle\Controller\EntityValueResolver;
use Resident\Bundle\EventListener\ResidentExceptionListener;
use Resident\Console\SchemaCheckCommand;
use Resident\Console\SchemaPushCommand;
use Resident\Console\SnapshotCommand;
use Resident\Console\StatusCommand;
use Resident\Operations;
use Resident\Schema\CodeSchema;
use Resident\Schema\SchemaSync;

return static function (ContainerConfigurator $container): void {
    $services = $container->services();

    $services->set(ConnectionSettings::class)
        ->args([param('resident.socket'), param('resident.timeout_ms')])
        ->public();

    $services->set(CodeSchema::class)
        ->factory([CodeSchema::class, 'fromDirectories'])
        ->args([param('resident.schema_paths')]);
    $services->set(SchemaSync::class)->args([service(CodeSchema::class)]);
    $services->set(Operations::class)->args([service(SchemaSync::class)])->public();
    $services->alias('resident', Operations::class)->public();

    foreach ([StatusCommand::class, SnapshotCommand::class, SchemaCheckCommand::class, SchemaPushCommand::class] as $command) {
        $services->set($command)->args([service(Operations::class)])->tag('console.command');
    }

    // Before RequestAttributeValueResolver (100), which would pass the id string on.
    $services->set(EntityValueResolver::class)->tag('controller.argument_value_resolver', ['priority' => 110]);

    $services->set(ResidentExceptionListener::class)
        ->args([service('logger')->nullOnInvalid()])
        ->tag('kernel.event_subscriber');
};
