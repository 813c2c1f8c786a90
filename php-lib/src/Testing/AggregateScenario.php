<?php

declare(strict_types=1);

namespace Resident\Testing;

use BackedEnum;
use PHPUnit\Framework\Assert;
use ReflectionObject;
use ReflectionProperty;
use Resident\AggregateRoot;
use Resident\Entity;
use Resident\Event;
use Resident\Exception\NotFound;
use Resident\Schema\Registry;
use Throwable;

/**
 * An aggregate test in the given / when / then style, run on a real residentd (the
 * shared TestServer, started at first use), so the server's own projection rules and
 * checks decide the outcome:
 *
 *     AggregateScenario::for(AccountAggregateRoot::class)
 *         ->given(new AccountOpened('Alice'), new BalanceIncreased(10))
 *         ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(5))
 *         ->then(new BalanceIncreased(5))
 *         ->thenState(['balance' => 15]);
 *
 * Each scenario works on a stream of its own (a new uuid), so scenarios need no reset
 * between them. Failures are PHPUnit assertion failures.
 */
final class AggregateScenario
{
    /** Events `when()` may record before the scenario stops reading them back. */
    private const RECORDED_MAX = 1000;

    private int $givenVersion = 0;

    private bool $ran = false;

    /** @var list<array{type: string, data: array<string, mixed>}> */
    private array $recorded = [];

    private ?Throwable $thrown = null;

    /** @param class-string<AggregateRoot> $aggregate */
    private function __construct(private readonly string $aggregate, private readonly string $uuid)
    {
    }

    /** @param class-string<AggregateRoot> $aggregate */
    public static function for(string $aggregate, ?string $uuid = null): self
    {
        TestServer::shared();
        return new self($aggregate, $uuid ?? $aggregate::create()->uuid());
    }

    /** Commits these events to the aggregate's stream, as history, in one commit. */
    public function given(Event ...$events): self
    {
        $root = $this->load();
        foreach ($events as $event) {
            $root->record($event);
        }
        $this->givenVersion = $root->persist()->version();
        return $this;
    }

    /**
     * Calls the command: `$command` gets the aggregate as find() loads it (or as create()
     * makes it, when nothing was given). An exception it throws is kept for thenThrows().
     *
     * @param callable(AggregateRoot): mixed $command
     */
    public function when(callable $command): self
    {
        try {
            $command($this->load());
        } catch (Throwable $thrown) {
            $this->thrown = $thrown;
        }
        $this->ran = true;
        $this->recorded = $this->recordedSinceGiven();
        return $this;
    }

    /** The command recorded exactly these events, in this order (type and data). */
    public function then(Event ...$expected): self
    {
        $this->assertRanWithoutException();
        Assert::assertEquals(
            array_map(self::describe(...), $expected),
            $this->recorded,
            "The events {$this->aggregate} recorded differ from those expected.",
        );
        return $this;
    }

    /** The command recorded no event. */
    public function thenNothing(): self
    {
        return $this->then();
    }

    /**
     * The command threw this class of exception (with this text in its message, when
     * given) and recorded nothing.
     *
     * @param class-string<Throwable> $class
     */
    public function thenThrows(string $class, ?string $messagePart = null): self
    {
        $this->assertRan();
        Assert::assertNotNull($this->thrown, "{$this->aggregate}: the command threw nothing; expected $class.");
        Assert::assertInstanceOf($class, $this->thrown, "{$this->aggregate}: the command threw " . $this->thrown::class . ': ' . $this->thrown->getMessage());
        if ($messagePart !== null) {
            Assert::assertStringContainsString($messagePart, $this->thrown->getMessage());
        }
        Assert::assertSame([], $this->recorded, "{$this->aggregate}: the command threw, yet events were recorded.");
        return $this;
    }

    /**
     * The aggregate's state entity has these field values (others are not compared).
     *
     * @param array<string, mixed> $fields
     */
    public function thenState(array $fields): self
    {
        $state = $this->state();
        Assert::assertNotNull($state, "{$this->aggregate} {$this->uuid} has no state entity.");
        Assert::assertEquals($fields, array_intersect_key(get_object_vars($state), $fields), "The state of {$this->aggregate} {$this->uuid} differs.");
        return $this;
    }

    /** The state entity as the server holds it now, for assertions of your own. */
    public function state(): ?Entity
    {
        return $this->aggregate::find($this->uuid)->state();
    }

    public function uuid(): string
    {
        return $this->uuid;
    }

    /** The aggregate as a command sees it: loaded once it has events, else new. */
    private function load(): AggregateRoot
    {
        try {
            return $this->aggregate::find($this->uuid);
        } catch (NotFound) {
            return $this->aggregate::create($this->uuid);
        }
    }

    /** @return list<array{type: string, data: array<string, mixed>}> */
    private function recordedSinceGiven(): array
    {
        $stream = \Resident\read(Registry::aggregate($this->aggregate)['name'], $this->uuid, $this->givenVersion + 1, self::RECORDED_MAX);
        return array_map(
            static fn (array $event): array => ['type' => $event['type'], 'data' => $event['data'] ?? []],
            $stream['events'],
        );
    }

    /**
     * An event as the extension sends it: its wire name and its public properties
     * (backed enums by their value).
     *
     * @return array{type: string, data: array<string, mixed>}
     */
    private static function describe(Event $event): array
    {
        $data = [];
        foreach ((new ReflectionObject($event))->getProperties(ReflectionProperty::IS_PUBLIC) as $property) {
            if (!$property->isStatic() && $property->isInitialized($event)) {
                $value = $property->getValue($event);
                $data[$property->getName()] = $value instanceof BackedEnum ? $value->value : $value;
            }
        }
        return ['type' => Registry::event($event::class)['name'], 'data' => $data];
    }

    private function assertRan(): void
    {
        Assert::assertTrue($this->ran, 'Call when() before then…().');
    }

    private function assertRanWithoutException(): void
    {
        $this->assertRan();
        if ($this->thrown !== null) {
            Assert::fail("{$this->aggregate}: the command threw " . $this->thrown::class . ': ' . $this->thrown->getMessage());
        }
    }
}
