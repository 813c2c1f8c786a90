<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use Resident\Tests\Support\FpmPool;

/**
 * The bank example under a real PHP-FPM: requests are answered, a POST records an
 * event, and each worker keeps its connection to residentd across requests.
 */
final class FpmTest extends TestCase
{
    private const WORKERS = 2;

    private FpmPool $fpm;

    protected function setUp(): void
    {
        $this->fpm = FpmPool::start(TestServer::shared()->socket, self::WORKERS);
    }

    protected function tearDown(): void
    {
        $this->fpm->stop();
    }

    private function bank(string $method, string $uri, string $body = ''): string
    {
        return $this->fpm->request(dirname(__DIR__, 2) . '/examples/bank/public/index.php', $method, $uri, $body);
    }

    public function testTheBankExampleServesRequestsOverPersistentConnections(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Fpm')->uuid();
        for ($i = 0; $i < 10; $i++) {
            $page = $this->bank('GET', '/');
            self::assertStringContainsString('/accounts/' . $uuid . '/increase', $page);
        }
        $answer = $this->bank('POST', "/accounts/$uuid/increase", 'amount=7');
        self::assertMatchesRegularExpression('/^Status: 303/m', $answer);
        self::assertSame(7, Account::find($uuid)->balance);

        // This process holds one connection; each worker that served a request keeps its
        // own open after the request ended.
        $connections = \Resident\stats()['connections'];
        self::assertGreaterThanOrEqual(2, $connections, 'no worker kept its connection');
        self::assertLessThanOrEqual(1 + self::WORKERS, $connections, 'workers opened a connection per request');
    }

    public function testMetricsCountEachRequestFromZeroAndTheWorkerSinceItStarted(): void
    {
        $seen = [];
        for ($i = 0; $i < 8; $i++) {
            $answer = FpmPool::body($this->fpm->request(dirname(__DIR__) . '/scripts/fpm-metrics.php'));
            $m = json_decode($answer, true, 8, JSON_THROW_ON_ERROR);
            $seen[$m['pid']][] = $m;
        }
        foreach ($seen as $pid => $requests) {
            // The worker's first request connects: hello, then stats.
            self::assertSame(['requests' => 2, 'connects' => 1], self::pick($requests[0]['request']), "worker $pid");
            $previous = $requests[0]['process'];
            foreach (array_slice($requests, 1) as $m) {
                self::assertSame(['requests' => 1, 'connects' => 0], self::pick($m['request']), "worker $pid");
                self::assertGreaterThan(0, $m['request']['bytes_sent']);
                self::assertGreaterThan(0, $m['request']['bytes_received']);
                self::assertGreaterThan(0, $m['request']['wait_us']);
                self::assertSame($previous['requests'] + 1, $m['process']['requests'], "worker $pid");
                self::assertSame(1, $m['process']['connects'], "worker $pid kept its connection");
                $previous = $m['process'];
            }
        }
    }

    /** @param array<string, int> $counters @return array{requests: int, connects: int} */
    private static function pick(array $counters): array
    {
        return ['requests' => $counters['requests'], 'connects' => $counters['connects']];
    }
}
