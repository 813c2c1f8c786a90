<?php

declare(strict_types=1);

// Runs one case of ValueLimitsTest or ConnectionMessagesTest in a PHP process of its own,
// so that a crash (a segfault, a Rust panic) fails the test instead of ending PHPUnit, and
// so that the socket can differ from the shared server's. Prints what happened as JSON:
// {"ok": true} or the exception's class, errorCode() and message.
require __DIR__ . '/../bootstrap-child.php';

use Resident\Exception\ResidentException;
use Resident\Tests\Fixtures\NoteAttached;
use Resident\Tests\Fixtures\Wallet;
use Resident\Tests\Fixtures\WalletAggregateRoot;

$case = $argv[1] ?? '';

/** An array nested $levels deep: [[[…1…]]]. */
function nested(int $levels): array|int
{
    $value = 1;
    for ($i = 0; $i < $levels; $i++) {
        $value = [$value];
    }
    return $value;
}

try {
    match ($case) {
        'count' => Wallet::count(),
        'self-reference' => (static function (): void {
            $a = [1];
            $a[] = &$a;
            WalletAggregateRoot::create()->open('Self')->event(new NoteAttached($a));
        })(),
        'nesting' => WalletAggregateRoot::create()->open('Deep')->event(new NoteAttached(nested((int) $argv[2]))),
        'non-utf8-key' => WalletAggregateRoot::create()->open('Key')->event(new NoteAttached(["k\xff" => 'v'])),
        // As declared in a Latin-1 source file: PHP takes any byte over 0x7f in a name.
        'non-utf8-property' => (static function (): void {
            eval("namespace Resident\\Tests\\Fixtures; #[\\Resident\\Attribute\\Updates(Wallet::class)]
                final class Latin1Noted extends \\Resident\\Event {
                    public function __construct(#[\\Resident\\Attribute\\Push('tags')] public string \$tag = 'x', public int \$caf\xe9 = 1) {}
                }");
            WalletAggregateRoot::create()->open('Latin')->event(new \Resident\Tests\Fixtures\Latin1Noted());
        })(),
    };
    echo json_encode(['ok' => true]), "\n";
} catch (Throwable $e) {
    echo json_encode(
        [
            'class' => $e::class,
            'code' => $e instanceof ResidentException ? $e->errorCode() : null,
            'message' => $e->getMessage(),
        ],
        JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_SLASHES,
    ), "\n";
}
