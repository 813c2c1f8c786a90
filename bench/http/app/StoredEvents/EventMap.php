<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

/**
 * The names stored in stored_events.event_class, and their classes. Stored names are
 * short aliases so that classes can move; and only these classes are ever made from
 * stored data.
 */
final class EventMap
{
    private const CLASSES = [
        'AccountOpened' => AccountOpened::class,
        'BalanceIncreased' => BalanceIncreased::class,
        'MoneySent' => MoneySent::class,
        'MoneyReceived' => MoneyReceived::class,
    ];

    public static function alias(AccountEvent $event): string
    {
        $alias = array_search($event::class, self::CLASSES, true);
        return is_string($alias) ? $alias : throw new \LogicException('No alias for ' . $event::class);
    }

    /** @param array<string, mixed> $payload */
    public static function event(string $alias, array $payload): AccountEvent
    {
        $class = self::CLASSES[$alias] ?? throw new \RuntimeException("Unknown stored event class '$alias'.");
        return $class::fromPayload($payload);
    }
}
