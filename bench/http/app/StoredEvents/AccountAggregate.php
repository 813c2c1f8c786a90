<?php

declare(strict_types=1);

namespace Bench\Http\StoredEvents;

use Bench\Http\Shared\AccountNotFound;
use Bench\Http\Shared\Refused;

/**
 * An account's aggregate root as Laravel event-sourcing packages build it: retrieve()
 * replays the account's stored events in PHP to learn its balance and version; the
 * methods check the rules and record events; persist() appends them at the next versions
 * and projects them.
 */
final class AccountAggregate
{
    private int $version = 0;
    private int $balance = 0;
    /** @var list<AccountEvent> */
    private array $recorded = [];

    private function __construct(public readonly string $uuid)
    {
    }

    /** @throws AccountNotFound when the account has no events */
    public static function retrieve(string $uuid): self
    {
        $aggregate = new self($uuid);
        $stored = StoredEvent::query()->where('aggregate_uuid', $uuid)->orderBy('aggregate_version')->get();
        foreach ($stored as $row) {
            $aggregate->apply(EventMap::event($row->event_class, $row->event_properties));
            $aggregate->version = $row->aggregate_version;
        }
        return $aggregate->version > 0 ? $aggregate : throw AccountNotFound::withUuid($uuid);
    }

    public function increaseBalance(int $amount): self
    {
        if ($amount <= 0) {
            throw new Refused('The amount must be positive.');
        }
        return $this->recordThat(new BalanceIncreased($amount));
    }

    public function sendMoney(string $to, int $amount): self
    {
        if ($amount <= 0 || $to === $this->uuid) {
            throw new Refused('A transfer needs a positive amount and two different accounts.');
        }
        if ($this->balance < $amount) {
            throw new Refused('Insufficient funds.');
        }
        return $this->recordThat(new MoneySent($to, $amount));
    }

    public function receiveMoney(string $from, int $amount): self
    {
        return $this->recordThat(new MoneyReceived($from, $amount));
    }

    /**
     * Appends the recorded events after the version retrieve() saw, and projects each.
     * Call it inside a transaction: if another request appended first, the unique index
     * refuses the insert and the whole transaction rolls back.
     */
    public function persist(AccountProjector $projector): void
    {
        $version = $this->version - count($this->recorded);
        foreach ($this->recorded as $event) {
            StoredEvent::query()->create([
                'aggregate_uuid' => $this->uuid,
                'aggregate_version' => ++$version,
                'event_class' => EventMap::alias($event),
                'event_properties' => $event->payload(),
            ]);
            $projector->project($this->uuid, $event);
        }
        $this->recorded = [];
    }

    private function recordThat(AccountEvent $event): self
    {
        $this->recorded[] = $event;
        $this->apply($event);
        $this->version++;
        return $this;
    }

    private function apply(AccountEvent $event): void
    {
        $this->balance = match (true) {
            $event instanceof AccountOpened => $event->balance,
            $event instanceof BalanceIncreased, $event instanceof MoneyReceived => $this->balance + $event->amount,
            $event instanceof MoneySent => $this->balance - $event->amount,
            default => throw new \LogicException('Cannot apply ' . $event::class),
        };
    }
}
