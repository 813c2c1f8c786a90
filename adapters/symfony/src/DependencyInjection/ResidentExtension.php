<?php

declare(strict_types=1);

namespace Resident\Bundle\DependencyInjection;

use Symfony\Component\Config\FileLocator;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\DependencyInjection\Extension\Extension;
use Symfony\Component\DependencyInjection\Loader\PhpFileLoader;

/** Loads config/services.php with the values of the `resident` configuration. */
final class ResidentExtension extends Extension
{
    /** @param array<array<string, mixed>> $configs */
    public function load(array $configs, ContainerBuilder $container): void
    {
        $config = $this->processConfiguration(new Configuration(), $configs);
        $container->setParameter('resident.socket', $config['socket']);
        $container->setParameter('resident.timeout_ms', $config['timeout_ms']);
        $container->setParameter('resident.schema_paths', $config['schema_paths']);
        (new PhpFileLoader($container, new FileLocator(__DIR__ . '/../../config')))->load('services.php');
    }
}
