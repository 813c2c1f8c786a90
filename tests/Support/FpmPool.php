<?php

declare(strict_types=1);

namespace Resident\Tests\Support;

use RuntimeException;

/**
 * A PHP-FPM pool of its own (static workers, the extension loaded, RESIDENT_SOCKET set),
 * reached with cgi-fcgi: for tests of what lives across the requests of one worker.
 */
final class FpmPool
{
    /** @param resource $process */
    private function __construct(private $process, private string $dir)
    {
    }

    public static function start(string $socket, int $workers): self
    {
        $binary = '/usr/sbin/php-fpm8.2';
        if (!is_executable($binary) || !is_executable('/usr/bin/cgi-fcgi')) {
            throw new RuntimeException('php8.2-fpm and libfcgi-bin are needed (make deps installs them)');
        }
        $dir = sys_get_temp_dir() . '/resident-fpm-' . getmypid() . '-' . bin2hex(random_bytes(3));
        mkdir($dir, 0700, true);
        $config = <<<INI
            [global]
            error_log = $dir/fpm.log
            daemonize = no
            [pool]
            listen = $dir/fpm.sock
            pm = static
            pm.max_children = $workers
            clear_env = yes
            env[RESIDENT_SOCKET] = $socket
            catch_workers_output = yes
            INI;
        $root = posix_getuid() === 0;
        if ($root) {
            $config .= "\nuser = root\ngroup = root\n";
        }
        file_put_contents("$dir/fpm.conf", $config);
        $extension = getenv('RESIDENT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libresident.so';
        $command = [$binary, '--nodaemonize', '--fpm-config', "$dir/fpm.conf", '-d', "extension=$extension"];
        if ($root) {
            $command[] = '--allow-to-run-as-root';
        }
        $out = ['file', "$dir/fpm.out", 'a'];
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => $out, 2 => $out], $pipes);
        if ($process === false) {
            throw new RuntimeException('Cannot start php-fpm');
        }
        $pool = new self($process, $dir);
        for ($i = 0; $i < 500 && !file_exists("$dir/fpm.sock"); $i++) {
            usleep(10_000);
        }
        if (!file_exists("$dir/fpm.sock")) {
            $pool->stop();
            throw new RuntimeException('php-fpm did not start: ' . @file_get_contents("$dir/fpm.out"));
        }
        return $pool;
    }

    /** One FastCGI request for `$script`; returns headers and body. */
    public function request(string $script, string $method = 'GET', string $uri = '/', string $body = ''): string
    {
        $env = [
            'SCRIPT_FILENAME' => $script,
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

    /** The body of a request's answer, without the CGI headers. */
    public static function body(string $answer): string
    {
        $parts = preg_split("/\r?\n\r?\n/", $answer, 2);
        return $parts[1] ?? '';
    }

    public function stop(): void
    {
        proc_terminate($this->process, 15);
        proc_close($this->process);
        exec('rm -rf ' . escapeshellarg($this->dir));
    }
}
