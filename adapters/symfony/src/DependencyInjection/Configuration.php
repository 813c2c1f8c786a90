<?php

declare(strict_types=1);

namespace Resident\Bundle\DependencyInjection;

use Symfony\Component\Config\Definition\Builder\TreeBuilder;
use Symfony\Component\Config\Definition\ConfigurationInterface;

/**
 * config/packages/resident.yaml:
 *
 *     resident:
 *         socket: '%env(RESIDENT_SOCKET)%'     # residentd's Unix socket
 *         timeout_ms: 5000                     # how long one request may take
 *         schema_paths: ['%kernel.project_dir%/src']   # for resident:schema:check and :push
 */
final class Configuration implements ConfigurationInterface
{
    public function getConfigTreeBuilder(): TreeBuilder
    {
        $tree = new TreeBuilder('resident');
        $tree->getRootNode()
            ->children()
                ->scalarNode('socket')
                    ->info("residentd's Unix socket; the RESIDENT_SOCKET environment variable wins over it in the extension")
                    ->defaultValue('/run/resident/resident.sock')
                ->end()
                ->integerNode('timeout_ms')
                    ->info('How long one request to residentd may take, in milliseconds')
                    ->defaultValue(5000)
                    ->min(1)
                ->end()
                ->arrayNode('schema_paths')
                    ->info('Where resident:schema:check and resident:schema:push find the Entity, Event and AggregateRoot classes')
                    ->scalarPrototype()->end()
                    ->defaultValue(['%kernel.project_dir%/src'])
                ->end()
            ->end();
        return $tree;
    }
}
