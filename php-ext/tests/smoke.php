<?php
/**
 * Smoke test of resident.so against a real residentd. Exits non-zero on the first failure.
 *
 *   php -d extension=/abs/path/libresident.so php-ext/tests/smoke.php
 *
 * Starts its own residentd (RESIDENTD=/path/to/residentd, default: the workspace's
 * release builds) on a temporary socket, unless RESIDENT_SOCKET points at a running one
 * (then the restart test is skipped). By default it uses a hand-written stand-in for
 * php-lib's Resident\Schema\Registry; SMOKE_PHP_LIB=1 uses the real php-lib instead.
 */

declare(strict_types=1);

namespace App {
    use Resident\{AggregateRoot, Entity, Event};
    use Resident\Attribute\{Add, Creates, Index, State, Updates};

    final class Account extends Entity
    {
        public string $uuid;
        public string $name;
        #[Index] public int $balance = 0;
        /** Not in the schema: hydration leaves the default alone. */
        public array $notes = ['default'];
    }

    enum Currency: string { case Eur = 'EUR'; case Usd = 'USD'; }

    #[Creates(Account::class)]
    final class AccountOpened extends Event { public function __construct(public string $name) {} }

    #[Updates(Account::class)]
    final class BalanceIncreased extends Event { public function __construct(#[Add('balance')] public int $amount) {} }

    /** Carries an enum and a list; nothing in the schema consumes them. */
    #[Updates(Account::class)]
    final class Tagged extends Event
    {
        public function __construct(public Currency $currency, public array $tags) {}
    }

    /** Carries an object: refused by the extension before anything is sent. */
    #[Updates(Account::class)]
    final class Broken extends Event { public function __construct(public \stdClass $thing) {} }

    #[State(Account::class)]
    final class AccountAggregateRoot extends AggregateRoot
    {
        public function open(string $name): self { $this->event(new AccountOpened($name)); return $this; }
        public function increaseBalance(int $amount): self { $this->event(new BalanceIncreased($amount)); return $this; }
    }

    /** A subclass that (wrongly) declares a constructor. */
    final class Hand extends AggregateRoot { public function __construct() {} }
}

namespace {
    const STAND_IN = <<<'PHP'
    namespace Resident\Schema;

    final class Registry
    {
        private const ACCOUNT = ['name' => 'Account', 'id' => 'uuid', 'fields' => [
            ['name' => 'uuid', 'type' => 'string', 'nullable' => false],
            ['name' => 'name', 'type' => 'string', 'nullable' => false],
            ['name' => 'balance', 'type' => 'int', 'nullable' => false, 'default' => 0],
        ], 'indexes' => ['balance']];

        public static function entity(string $class): array
        {
            return match ($class) {
                'App\Account' => ['name' => 'Account', 'id' => 'uuid', 'register' => ['entities' => [self::ACCOUNT], 'events' => []]],
                default => throw new \LogicException("not an entity: $class"),
            };
        }

        public static function event(string $class): array
        {
            $rules = match ($class) {
                'App\AccountOpened' => [['op' => 'create', 'entity' => 'Account', 'id' => null, 'fields' => [['field' => 'name', 'op' => 'set', 'prop' => 'name']]]],
                'App\BalanceIncreased' => [['op' => 'update', 'entity' => 'Account', 'id' => null, 'fields' => [['field' => 'balance', 'op' => 'add', 'prop' => 'amount']]]],
                'App\Tagged', 'App\Broken' => [['op' => 'update', 'entity' => 'Account', 'id' => null, 'fields' => []]],
                default => throw new \LogicException("not an event: $class"),
            };
            $name = substr($class, 4);
            return ['name' => $name, 'register' => ['entities' => [self::ACCOUNT], 'events' => [['name' => $name, 'rules' => $rules]]]];
        }

        public static function aggregate(string $class): array
        {
            $name = substr($class, strrpos($class, '\\') + 1);
            return ['name' => $name, 'state' => 'Account', 'state_class' => 'App\Account',
                    'register' => ['entities' => [self::ACCOUNT], 'events' => []]];
        }
    }
    PHP;

    use App\{Account, AccountAggregateRoot, AccountOpened, BalanceIncreased, Broken, Currency, Hand, Tagged};
    use Resident\Exception\{BadRequestException, ConcurrencyException, ConnectionException, NotFound, ResidentException, SchemaException};

    $failures = 0;
    $checks = 0;
    function check(bool $ok, string $what): void
    {
        global $failures, $checks;
        $checks++;
        if (!$ok) {
            $failures++;
            fwrite(STDERR, "FAIL: $what\n");
            $trace = debug_backtrace()[0];
            fwrite(STDERR, "      at line {$trace['line']}\n");
        }
    }
    /** Runs $f and returns the exception it throws (or null). */
    function thrown(callable $f): ?\Throwable
    {
        try { $f(); } catch (\Throwable $e) { return $e; }
        return null;
    }
    /** Runs a PHP snippet in a child process with this extension; returns its output. */
    function child(string $code, array $ini = [], array $env = []): string
    {
        $args = [PHP_BINARY, '-d', 'extension=' . EXTENSION];
        foreach ($ini as $k => $v) { $args[] = '-d'; $args[] = "$k=$v"; }
        $args[] = '-r';
        $args[] = $code;
        $p = proc_open($args, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env + ['PATH' => getenv('PATH')]);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        proc_close($p);
        return $out;
    }

    if (!extension_loaded('resident')) {
        fwrite(STDERR, "resident.so is not loaded: php -d extension=/abs/path/libresident.so " . __FILE__ . "\n");
        exit(2);
    }
    // The child processes load the same library: find its path among our mappings.
    preg_match('~\S*/lib\S*resident\S*\.so~', (string) @file_get_contents('/proc/self/maps'), $m);
    define('EXTENSION', getenv('RESIDENT_EXTENSION') ?: ($m[0] ?? 'resident.so'));

    if (getenv('SMOKE_PHP_LIB')) {
        require __DIR__ . '/../../php-lib/vendor/autoload.php';
    } else {
        eval(STAND_IN);
    }

    // --- residentd ------------------------------------------------------------------------
    require __DIR__ . '/../../php-lib/src/Testing/TestServer.php';
    // A server of its own unless RESIDENT_SOCKET names one already running.
    $socket = getenv('RESIDENT_SOCKET') ?: '';
    $server = $socket === '' ? Resident\Testing\TestServer::startedFor('smoke') : null;
    $socket = $server?->socket ?? $socket;

    // --- basics ---------------------------------------------------------------------------
    check(Resident\ping() === true, 'ping');
    $stats = Resident\stats();
    check(is_array($stats) && array_key_exists('position', $stats), 'stats has position');
    $before = Account::count();
    check(is_int($before), 'count is an int');
    $metrics = Resident\metrics();
    check(array_keys($metrics) === ['request', 'process']
        && array_keys($metrics['process']) === ['requests', 'bytes_sent', 'bytes_received', 'wait_us', 'connects', 'reconnects']
        && $metrics['process']['requests'] >= 3 && $metrics['process']['connects'] === 1, 'metrics: ' . json_encode($metrics));

    // --- aggregate create / event / state -------------------------------------------------
    $root = AccountAggregateRoot::create();
    check($root instanceof AccountAggregateRoot, 'create returns the called class');
    check(strlen($root->uuid()) === 36 && $root->version() === 0 && $root->state() === null, 'fresh aggregate');
    $same = $root->open('Alice')->increaseBalance(10);
    check($same === $root, 'event() returns $this');
    check($root->version() === 2, 'version after two events: ' . $root->version());
    $state = $root->state();
    check($state instanceof Account, 'state is an App\Account');
    check($state?->balance === 10 && $state?->name === 'Alice' && $state?->uuid === $root->uuid(), 'state fields');
    check($state?->notes === ['default'], 'undeclared-by-schema property keeps its default');

    $fixed = AccountAggregateRoot::create('00000000-0000-4000-8000-' . substr(bin2hex(random_bytes(6)), 0, 12));
    check(strlen($fixed->uuid()) === 36, 'create($uuid)');

    // --- entity reads ---------------------------------------------------------------------
    $found = Account::find($root->uuid());
    check($found instanceof Account && $found->balance === 10, 'Account::find');
    check(Account::find('no-such-id') === null, 'find unknown is null');
    check(Account::count() === $before + 1, 'count grew by one');
    $all = Account::all();
    check(array_is_list($all) && count($all) === $before + 1, 'all is a list');
    check(array_reduce($all, fn ($ok, $a) => $ok && $a instanceof Account, true), 'all returns App\Account objects');
    $copy = clone $found;
    check($copy->balance === 10, 'entities can be cloned');
    check(unserialize(serialize($found)) == $found, 'entities can be serialized');
    check((new Account())->balance === 0, 'entities can be made with new');

    // --- find aggregate -------------------------------------------------------------------
    $loaded = AccountAggregateRoot::find($root->uuid());
    check($loaded->version() === 2 && $loaded->state()?->balance === 10, 'find by uuid');
    $byState = AccountAggregateRoot::find($found);
    check($byState->uuid() === $root->uuid(), 'find by state entity');
    $e = thrown(fn () => AccountAggregateRoot::find('11111111-1111-4111-8111-111111111111'));
    check($e instanceof NotFound && str_contains($e->getMessage(), 'No AccountAggregateRoot with uuid 11111111'), 'find unknown throws NotFound: ' . $e?->getMessage());
    check($e instanceof ResidentException && $e->errorCode() === 'not_found', 'NotFound errorCode');

    // --- conflicts ------------------------------------------------------------------------
    $a = AccountAggregateRoot::find($root->uuid());
    $b = AccountAggregateRoot::find($root->uuid());
    $a->increaseBalance(1);
    $e = thrown(fn () => $b->increaseBalance(1));
    check($e instanceof ConcurrencyException, 'stale writer gets ConcurrencyException: ' . ($e ? get_class($e) . ' ' . $e->getMessage() : 'none'));
    if ($e instanceof ConcurrencyException) {
        check($e->errorCode() === 'conflict', 'conflict code');
        check($e->stream() === 'AccountAggregateRoot-' . $root->uuid(), 'conflict stream: ' . $e->stream());
        check($e->expectedVersion() === 2 && $e->actualVersion() === 3, "conflict versions {$e->expectedVersion()} {$e->actualVersion()}");
        check(str_contains($e->getMessage(), 'is at version 3, expected 2') && str_contains($e->getMessage(), 'Resident\Retry::onConflict'), 'conflict message: ' . $e->getMessage());
        check($e->getLine() > 0 && $e->getFile() === __FILE__, 'exception has file and line');
    }
    check($b->version() === 2, 'failed event leaves version alone');

    // --- record / persist -----------------------------------------------------------------
    $r = AccountAggregateRoot::find($root->uuid());
    $r->record(new BalanceIncreased(5))->record(new BalanceIncreased(6));
    check($r->version() === 3, 'record does not commit');
    check(Account::find($root->uuid())->balance === 11, 'nothing written before persist');
    $r->persist();
    check($r->version() === 5 && $r->state()?->balance === 22, 'persist commits all: v' . $r->version() . ' balance ' . $r->state()?->balance);
    check($r->persist() === $r && $r->version() === 5, 'persist of nothing is a no-op');
    $stale = AccountAggregateRoot::find($root->uuid());
    $r->increaseBalance(1);
    $stale->record(new BalanceIncreased(100));
    check(thrown(fn () => $stale->persist()) instanceof ConcurrencyException, 'persist conflict');
    check($stale->version() === 5, 'failed persist keeps version');

    // --- event data -----------------------------------------------------------------------
    $t = AccountAggregateRoot::find($root->uuid());
    $t->event(new Tagged(Currency::Eur, ['a', 'b']));
    check($t->version() === 7, 'enum and list in event data');
    $e = thrown(fn () => $t->event(new Broken(new \stdClass())));
    check($e instanceof BadRequestException && str_contains($e->getMessage(), 'App\Broken::$thing'), 'object in event data names the property: ' . $e?->getMessage());

    // --- stream reads, schema registration, snapshots ---------------------------------------
    $read = Resident\read('AccountAggregateRoot', $root->uuid(), 2, 2);
    check($read['version'] === 7 && count($read['events']) === 2, 'read from 2, at most 2: v' . $read['version']);
    check($read['events'][0]['type'] === 'BalanceIncreased' && $read['events'][0]['data'] === ['amount' => 10], 'read event type and data');
    check($read['events'][0]['version'] === 2 && is_string($read['events'][0]['meta']['recorded_at']), 'read event version and meta');
    check(Resident\read('AccountAggregateRoot', 'none') === ['version' => 0, 'events' => []], 'read of no stream');
    $wider = ['entities' => [['name' => 'Smoked', 'fields' => [['name' => 'uuid', 'type' => 'string']]]], 'events' => []];
    $dry = Resident\register($wider, true);
    check($dry['dry_run'] === true && $dry['changed'] === true && $dry['refused'] === null && $dry['current']['entities'] === [], 'register dry run of a new type');
    check(Resident\register($wider, true)['changed'] === true, 'a dry run records nothing');
    check(Resident\register($wider)['changed'] === true && Resident\register($wider)['changed'] === false, 'register, then a no-op');
    $e = thrown(fn () => Resident\register(['op' => 'commit']));
    check($e instanceof BadRequestException && str_contains($e->getMessage(), 'entities, events'), 'register refuses other keys: ' . $e?->getMessage());
    $snapshot = Resident\snapshot();
    check(is_string($snapshot['path']) && $snapshot['position'] >= 7, 'snapshot answers path and position');

    // --- misuse ---------------------------------------------------------------------------
    $e = thrown(fn () => new AccountAggregateRoot());
    check($e !== null && str_contains($e->getMessage(), '::create()'), 'new on an aggregate: ' . $e?->getMessage());
    $hand = new Hand();
    $e = thrown(fn () => $hand->uuid());
    check($e instanceof BadRequestException && str_contains($e->getMessage(), 'Hand::create()'), 'aggregate made with own constructor: ' . $e?->getMessage());
    $e = thrown(fn () => Resident\Entity::all());
    check($e instanceof BadRequestException, 'Entity::all() on the base class');
    $e = new NotFound('custom', 7);
    check($e->getMessage() === 'custom' && $e->getCode() === 7 && $e->errorCode() === '', 'userland can construct exceptions');

    // --- connection problems (child processes) ----------------------------------------------
    $out = child('try { App\X::class; Resident\stats(); } catch (Resident\Exception\ConnectionException $e) { echo $e->getMessage(); }',
        ['resident.socket' => '/nonexistent/r.sock']);
    check(str_contains($out, '/nonexistent/r.sock does not exist: is residentd running?'), 'missing socket message: ' . $out);
    $out = child('$t = microtime(true); echo Resident\ping() ? "up" : "down"; echo microtime(true) - $t < 1 ? "" : " after waiting";', [], ['RESIDENT_SOCKET' => '/nonexistent/r.sock']);
    check($out === 'down', 'ping false at once when down: ' . $out);
    $out = child('class A extends Resident\Entity {} try { A::count(); } catch (Resident\Exception\SchemaException $e) { echo $e->getMessage(); }',
        [], ['RESIDENT_SOCKET' => $socket]);
    check(str_contains($out, "php-lib is not loaded: require 'php-lib/vendor/autoload.php'"), 'php-lib missing: ' . $out);

    // --- reconnect after a server restart ---------------------------------------------------
    if ($server) {
        $n = Account::count();
        $server->restart();
        check(Account::count() === $n, 'reconnects transparently after a restart');
        $again = AccountAggregateRoot::find($root->uuid())->increaseBalance(1);
        check($again->state()?->balance === 24, 're-registers after a restart: ' . $again->state()?->balance);
    }

    echo $failures === 0 ? "smoke: $checks checks passed\n" : "smoke: $failures of $checks checks FAILED\n";
    exit($failures === 0 ? 0 : 1);
}
