<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Exception\BadRequestException;
use Resident\Tests\Fixtures\NoteAttached;
use Resident\Tests\Fixtures\TagsReplaced;
use Resident\Tests\Fixtures\Wallet;
use Resident\Tests\Fixtures\WalletAggregateRoot;
use Resident\Tests\Fixtures\WalletOpened;
use Resident\Testing\TestServer;
use Resident\Tests\Support\ChildProcess;

/**
 * Values the wire cannot carry, or that no client could read back, are refused by the
 * extension before anything is sent, with a BadRequestException naming the property; none
 * of them may crash PHP. Cases that crashed PHP run in a child process (outcome.php).
 */
final class ValueLimitsTest extends TestCase
{
    private const NOTE = 'Resident\Tests\Fixtures\NoteAttached::$note';

    private WalletAggregateRoot $root;

    protected function setUp(): void
    {
        $this->root = WalletAggregateRoot::create()->open('Limits');
    }

    /** An array nested $levels deep: [[[…1…]]]. */
    private static function nested(int $levels): array|int
    {
        $value = 1;
        for ($i = 0; $i < $levels; $i++) {
            $value = [$value];
        }
        return $value;
    }

    /** Runs `$send`, which must be refused with `$code` before sending; returns the message. */
    private function refused(callable $send, string $code = 'bad_request'): string
    {
        $version = $this->root->version();
        try {
            $send();
            self::fail('the value was sent');
        } catch (BadRequestException $e) {
            self::assertSame($code, $e->errorCode());
            self::assertSame($version, WalletAggregateRoot::find($this->root->uuid())->version(), 'something was stored');
            return $e->getMessage();
        }
    }

    /** @return array{class?: string, code?: string, message?: string, ok?: bool} */
    private static function inChild(string ...$case): array
    {
        $out = ChildProcess::start(TestServer::shared()->socket, dirname(__DIR__) . '/scripts/outcome.php', $case)->wait();
        return json_decode($out, true, 8, JSON_THROW_ON_ERROR);
    }

    public function testNestingAtTheLimitIsStoredAndReadBack(): void
    {
        $this->root->event(new TagsReplaced(self::nested(32)));
        self::assertSame(self::nested(32), Wallet::find($this->root->uuid())->tags);
        self::assertNotEmpty(Wallet::all(), 'the value breaks reading all wallets');
    }

    public function testNestingOverTheLimitIsRefusedBeforeSending(): void
    {
        foreach ([33, 300] as $levels) {
            $message = $this->refused(fn () => $this->root->event(new NoteAttached(self::nested($levels))));
            self::assertStringContainsString(self::NOTE, $message);
            self::assertStringContainsString('more than 32 levels', $message);
        }
    }

    public function testTenThousandLevelsDoNotCrashPhp(): void
    {
        $outcome = self::inChild('nesting', '10000');
        self::assertSame(BadRequestException::class, $outcome['class'] ?? null, json_encode($outcome));
        self::assertStringContainsString('more than 32 levels', $outcome['message']);
    }

    public function testASelfReferencingArrayIsRefused(): void
    {
        $outcome = self::inChild('self-reference');
        self::assertSame(BadRequestException::class, $outcome['class'] ?? null, json_encode($outcome));
        self::assertStringContainsString(self::NOTE, $outcome['message']);
        self::assertStringContainsString('recursive array', $outcome['message']);
    }

    public function testANonUtf8ArrayKeyIsRefused(): void
    {
        $outcome = self::inChild('non-utf8-key');
        self::assertSame(BadRequestException::class, $outcome['class'] ?? null, json_encode($outcome));
        self::assertStringContainsString(self::NOTE, $outcome['message']);
        self::assertStringContainsString('not valid UTF-8', $outcome['message']);
    }

    public function testAPropertyNameThatIsNotUtf8IsRefused(): void
    {
        $outcome = self::inChild('non-utf8-property');
        self::assertSame(BadRequestException::class, $outcome['class'] ?? null, json_encode($outcome));
        self::assertStringContainsString('Latin1Noted has a public property whose name is not valid UTF-8 ($caf\\xe9)', $outcome['message']);
    }

    public function testAFilteredListSaysToUseArrayValues(): void
    {
        $message = $this->refused(fn () => $this->root->event(new NoteAttached(array_filter([1, 2, 3], fn ($x) => $x > 1))));
        self::assertStringContainsString(self::NOTE, $message);
        self::assertStringContainsString('array_values()', $message);
    }

    public function testNonFiniteFloatsAreRefused(): void
    {
        foreach (['NAN' => NAN, 'INF' => INF, '-INF' => -INF] as $name => $float) {
            $message = $this->refused(fn () => $this->root->event(new NoteAttached(['a' => [1.5, $float]])));
            self::assertStringContainsString(self::NOTE . '[a][1]', $message);
            self::assertStringContainsString("is $name", $message);
        }
        $count = Wallet::count();
        $message = $this->refused(fn () => WalletAggregateRoot::create()->event(new WalletOpened('Nan', NAN)));
        self::assertStringContainsString('WalletOpened::$rate is NAN', $message);
        self::assertSame($count, Wallet::count());
    }

    public function testARequestOverTheFrameLimitIsRefusedBeforeSending(): void
    {
        $message = $this->refused(fn () => $this->root->event(new NoteAttached(str_repeat('x', 17 << 20))), 'limit');
        self::assertMatchesRegularExpression(
            '/the commit is \d+ bytes, more than the server\'s limit of 16777216 bytes \(frame_bytes_max\)/',
            $message,
        );
        self::assertIsInt(Wallet::count(), 'the connection is unusable after the refusal');
    }
}
