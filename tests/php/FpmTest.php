<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use App\Account;
use App\AccountAggregateRoot;
use PHPUnit\Framework\TestCase;
use Resident\Testing\TestServer;
use RuntimeException;

/**
 * The bank example under a real PHP-FPM: requests are answered, a POST records an
 * event, and each worker keeps its connection to residentd across requests.
 */
final class FpmTest extends TestCase
{
    private const WORKERS = 2;

    /** @var resource|null */
    private $fpm = null;
    private string $dir;

    protected function setUp(): void
    {
        $binary = '/usr/sbin/php-fpm8.2';
        if (!is_executable($binary) || !is_executable('/usr/bin/cgi-fcgi')) {
            self::fail('php8.2-fpm and libfcgi-bin are needed (make deps installs them)');
        }
        $server = TestServer::shared();
        $this->dir = sys_get_temp_dir() . '/resident-fpm-' . getmypid();
        @mkdir($this->dir, 0700, true);
        $config = <<<INI
            [global]
            error_log = {$this->dir}/fpm.log
            daemonize = no
            [bank]
            listen = {$this->dir}/fpm.sock
            pm = static
            pm.max_children = %d
            clear_env = yes
            env[RESIDENT_SOCKET] = {$server->socket}
            catch_workers_output = yes
            INI;
        if (posix_getuid() === 0) {
            $config .= "\nuser = root\ngroup = root\n";
        }
        file_put_contents("{$this->dir}/fpm.conf", sprintf($config, self::WORKERS));
        $extension = getenv('RESIDENT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libresident.so';
        $command = [$binary, '--nodaemonize', '--fpm-config', "{$this->dir}/fpm.conf", '-d', "extension=$extension"];
        if (posix_getuid() === 0) {
            $command[] = '--allow-to-run-as-root';
        }
        $this->fpm = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "{$this->dir}/fpm.out", 'a'], 2 => ['file', "{$this->dir}/fpm.out", 'a']], $pipes) ?: null;
        for ($i = 0; $i < 500 && !file_exists("{$this->dir}/fpm.sock"); $i++) {
            usleep(10_000);
        }
        self::assertFileExists("{$this->dir}/fpm.sock", 'php-fpm did not start: ' . @file_get_contents("{$this->dir}/fpm.out"));
    }

    protected function tearDown(): void
    {
        if ($this->fpm !== null) {
            proc_terminate($this->fpm, 15);
            proc_close($this->fpm);
        }
        exec('rm -rf ' . escapeshellarg($this->dir));
    }

    /** One FastCGI request to the bank example; returns headers and body. */
    private function request(string $method, string $uri, string $body = ''): string
    {
        $env = [
            'SCRIPT_FILENAME' => dirname(__DIR__, 2) . '/examples/bank/public/index.php',
            'REQUEST_METHOD' => $method,
            'REQUEST_URI' => $uri,
            'CONTENT_TYPE' => 'application/x-www-form-urlencoded',
            'CONTENT_LENGTH' => (string) strlen($body),
        ];
        $process = proc_open(
            ['/usr/bin/cgi-fcgi', '-bind', '-connect', "{$this->dir}/fpm.sock"],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            null,
            $env,
        );
        fwrite($pipes[0], $body);
        fclose($pipes[0]);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        if (proc_close($process) !== 0) {
            throw new RuntimeException("cgi-fcgi failed: $err");
        }
        return $out;
    }

    public function testTheBankExampleServesRequestsOverPersistentConnections(): void
    {
        $uuid = AccountAggregateRoot::create()->open('Fpm')->uuid();
        for ($i = 0; $i < 10; $i++) {
            $page = $this->request('GET', '/');
            self::assertStringContainsString('/accounts/' . $uuid . '/increase', $page);
        }
        $answer = $this->request('POST', "/accounts/$uuid/increase", 'amount=7');
        self::assertMatchesRegularExpression('/^Status: 303/m', $answer);
        self::assertSame(7, Account::find($uuid)->balance);

        // This process holds one connection; each worker that served a request keeps its
        // own open after the request ended.
        $connections = \Resident\stats()['connections'];
        self::assertGreaterThanOrEqual(2, $connections, 'no worker kept its connection');
        self::assertLessThanOrEqual(1 + self::WORKERS, $connections, 'workers opened a connection per request');
    }
}
