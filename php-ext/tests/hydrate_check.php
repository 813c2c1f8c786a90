<?php
/**
 * Checks hydration of answers read straight from the frame (all, find, query): property
 * defaults, readonly properties, the id field, arrays, nulls on nullable properties,
 * int → float, untyped and non-public properties, fields the class does not declare, and
 * values whose type does not fit (coerced as PHP would, or the engine's TypeError).
 *
 *   php -d extension=/abs/path/libresident.so php-ext/tests/hydrate_check.php
 *
 * Starts its own residentd (RESIDENTD=…, default the workspace's release build); uses a
 * stand-in schema registry. Exits non-zero on failure.
 */

declare(strict_types=1);

namespace App {
    use Resident\Entity;

    final class Item extends Entity
    {
        public string $uuid;
        public readonly string $name;
        public float $price;
        public int $qty = 7;
        public ?string $note = 'default';
        public array $tags = ['default'];
        public $any = 'untyped default';
        public string $local = 'not in the schema';
        protected string $hidden = 'protected default';

        public function hidden(): string { return $this->hidden; }
    }

    /** The same entity read into other types: coerced where PHP coerces, else TypeError. */
    final class LooseItem extends Entity
    {
        public string $uuid;
        public string $qty;       // int → "5" (coercive mode, as a PHP assignment)
        public float|string $price;
    }

    final class WrongItem extends Entity
    {
        public string $uuid;
        public int $name;        // "Widget" does not fit: TypeError
    }
}

namespace {
    use App\{Item, LooseItem, WrongItem};
    use Resident\Bench\RawClient;

    require __DIR__ . '/../../bench/lib/RawClient.php';
    require __DIR__ . '/../../php-lib/src/Testing/TestServer.php';

    const ITEM = ['name' => 'Item', 'id' => 'uuid', 'fields' => [
        ['name' => 'uuid', 'type' => 'string', 'nullable' => false],
        ['name' => 'name', 'type' => 'string', 'nullable' => false],
        ['name' => 'price', 'type' => 'float', 'nullable' => false],
        ['name' => 'qty', 'type' => 'int', 'nullable' => true],
        ['name' => 'note', 'type' => 'string', 'nullable' => true],
        ['name' => 'tags', 'type' => 'array', 'nullable' => true],
        ['name' => 'any', 'type' => 'mixed', 'nullable' => true],
        ['name' => 'hidden', 'type' => 'string', 'nullable' => true],
        ['name' => 'extra', 'type' => 'string', 'nullable' => true],
    ], 'indexes' => []];
    const PROPS = ['name', 'price', 'qty', 'note', 'tags', 'any', 'hidden', 'extra'];
    define('REGISTER', ['entities' => [ITEM], 'events' => [['name' => 'ItemMade', 'rules' => [[
        'op' => 'create', 'entity' => 'Item', 'id' => null,
        'fields' => array_map(static fn ($p) => ['field' => $p, 'op' => 'set', 'prop' => $p], PROPS),
    ]]]]]);

    eval(<<<'PHP'
    namespace Resident\Schema;
    final class Registry
    {
        public static function entity(string $class): array
        {
            return ['name' => 'Item', 'id' => 'uuid', 'register' => REGISTER];
        }
    }
    PHP);

    $failures = 0;
    $checks = 0;
    function check(bool $ok, string $what): void
    {
        global $failures, $checks;
        $checks++;
        if (!$ok) {
            $failures++;
            fwrite(STDERR, "FAIL: $what (line " . debug_backtrace()[0]['line'] . ")\n");
        }
    }

    $socket = \Resident\Testing\TestServer::startedFor('hydrate-check')->socket;

    $raw = new RawClient($socket);
    $raw->request(['op' => 'register'] + REGISTER);
    $make = static function (string $uuid, array $data) use ($raw): void {
        $raw->request(['op' => 'commit', 'streams' => [['aggregate' => 'Items', 'id' => $uuid, 'expected' => 'none', 'events' => [
            ['id' => bin2hex(random_bytes(16)), 'type' => 'ItemMade', 'data' => $data],
        ]]]]);
    };
    $make('a', ['name' => 'Widget', 'price' => 2.5, 'qty' => 5, 'note' => null, 'tags' => ['red', 'big'], 'any' => ['k' => 1, 'n' => [1.5, true, null]], 'hidden' => 'from the server', 'extra' => 'skipped']);
    $make('b', ['name' => 'Gadget', 'price' => 3, 'qty' => 9, 'note' => 'noted', 'tags' => [], 'any' => 12, 'hidden' => null, 'extra' => null]);

    $all = Item::all();
    check(count($all) === 2, 'all() returns both items');
    [$a, $b] = $all;
    check($a instanceof Item && $a->uuid === 'a' && $b->uuid === 'b', 'the id field is set');
    check($a->name === 'Widget', 'readonly property initialised');
    $e = null;
    try { $a->name = 'x'; } catch (\Error $e) {}
    check($e !== null && str_contains($e->getMessage(), 'readonly'), 'readonly property stays readonly: ' . ($e?->getMessage() ?? 'no error'));
    check($a->price === 2.5 && $a->qty === 5, 'float and int');
    check(is_float($b->price) && $b->price === 3.0, 'an int for a float property becomes a float: ' . var_export($b->price, true));
    check($a->note === null && $b->note === 'noted', 'null on a nullable property');
    check($a->tags === ['red', 'big'] && $b->tags === [], 'arrays');
    check($a->any === ['k' => 1, 'n' => [1.5, true, null]] && $b->any === 12, 'untyped property takes maps and ints: ' . var_export($a->any, true));
    check($a->local === 'not in the schema', 'property not in the answer keeps its default');
    check($a->hidden() === 'protected default', 'protected property is not written');
    check(!isset($a->extra) && !property_exists($a, 'extra'), 'undeclared field skipped');
    $copy = clone $a;
    check($copy->tags === ['red', 'big'] && serialize($a) !== '', 'clone and serialize work');
    $again = Item::all();
    check($again[0]->tags === ['red', 'big'] && $a->tags === ['red', 'big'], 'objects are independent');

    $found = Item::find('a');
    check($found instanceof Item && $found->name === 'Widget' && $found->note === null, 'find()');
    check(Item::find('nope') === null, 'find() of a missing id is null');
    $answer = \Resident\query(Item::class, ['order' => [['field' => 'name', 'dir' => 'asc']], 'limit' => 1, 'select' => 'rows']);
    $page = $answer['entities'];
    check(array_key_exists('next', $answer) && !isset($answer['id']) && !isset($answer['ok']), 'query answer keys: ' . implode(',', array_keys($answer)));
    check(count($page) === 1 && $page[0] instanceof Item && $page[0]->name === 'Gadget' && $page[0]->price === 3.0, 'query page');

    $loose = LooseItem::all();
    check($loose[0]->qty === '5', 'int into a string property is coerced as PHP would: ' . var_export($loose[0]->qty, true));
    check($loose[1]->price === 3.0, 'int into float|string becomes a float: ' . var_export($loose[1]->price, true));

    $e = null;
    try { WrongItem::all(); } catch (\TypeError $e) {}
    check($e !== null && str_contains($e->getMessage(), 'WrongItem::$name') && str_contains($e->getMessage(), 'int'), 'a value that does not fit throws a TypeError naming the property: ' . ($e?->getMessage() ?? 'none'));
    $e = null;
    try { WrongItem::find('a'); } catch (\TypeError $e) {}
    check($e !== null, 'find() too');

    if ($failures > 0) {
        fwrite(STDERR, "hydrate_check: $failures of $checks checks failed\n");
        exit(1);
    }
    echo "hydrate_check: $checks checks passed\n";
}
