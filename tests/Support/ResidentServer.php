<?php

declare(strict_types=1);

namespace Resident\Tests\Support;

use RuntimeException;

/**
 * A real residentd process for the PHPUnit suites: started on its own socket and data
 * directory, and stopped, killed or restarted by the tests that need it.
 */
final class ResidentServer
{
    /** @var resource|null */
    private $process = null;

    private static ?self $shared = null;

    public function __construct(
        public readonly string $binary,
        public readonly string $socket,
        public readonly string $dataDir,
        public readonly string $logFile,
    ) {
    }

    /** The server every suite shares; the extension's connection points at its socket. */
    public static function shared(): self
    {
        if (self::$shared === null) {
            $root = sys_get_temp_dir() . '/resident-phpunit-' . getmypid();
            if (is_dir($root)) {
                exec('rm -rf ' . escapeshellarg($root));
            }
            mkdir($root, 0700, true);
            self::$shared = new self(
                getenv('RESIDENT_BIN') ?: dirname(__DIR__, 2) . '/target/release/residentd',
                $root . '/resident.sock',
                $root . '/data',
                $root . '/residentd.log',
            );
            putenv('RESIDENT_SOCKET=' . self::$shared->socket);
            self::$shared->start();
            register_shutdown_function(static function () use ($root): void {
                self::$shared?->stop();
                exec('rm -rf ' . escapeshellarg($root));
            });
        }
        return self::$shared;
    }

    /**
     * A server of its own for a check or bench script outside PHPUnit: in a fresh
     * temporary directory named after the script, residentd from $RESIDENTD (else the
     * release build), the extension pointed at it through RESIDENT_SOCKET, and all of it
     * stopped and removed when the script ends.
     */
    public static function forScript(string $name): self
    {
        $dir = sys_get_temp_dir() . "/resident-$name-" . getmypid();
        mkdir($dir, 0700, true);
        $server = new self(
            getenv('RESIDENTD') ?: dirname(__DIR__, 2) . '/target/release/residentd',
            "$dir/s.sock",
            "$dir/data",
            "$dir/log",
        );
        putenv("RESIDENT_SOCKET={$server->socket}");
        register_shutdown_function(static function () use ($server, $dir): void {
            $server->stop();
            exec('rm -rf ' . escapeshellarg($dir));
        });
        $server->start();
        return $server;
    }

    /** @param list<string> $flags more residentd flags, for this run only */
    public function start(array $flags = []): void
    {
        if (!is_executable($this->binary)) {
            throw new RuntimeException("residentd not found at {$this->binary}: run `make build` first.");
        }
        $this->process = proc_open(
            [$this->binary, '--socket', $this->socket, '--data', $this->dataDir, ...$flags],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->logFile, 'a'], 2 => ['file', $this->logFile, 'a']],
            $pipes,
        ) ?: null;
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            if (!$this->isRunning()) {
                throw new RuntimeException("residentd exited at start:\n" . $this->log());
            }
            $client = @stream_socket_client('unix://' . $this->socket, $errno, $error, 0.2);
            if ($client !== false) {
                fclose($client);
                return;
            }
            usleep(20_000);
        }
        throw new RuntimeException("residentd did not listen on {$this->socket} within 10 s:\n" . $this->log());
    }

    /** SIGTERM: the clean stop. */
    public function stop(): void
    {
        $this->signal(15);
    }

    /** SIGKILL: a crash, with no chance to clean up. */
    public function kill(): void
    {
        $this->signal(9);
    }

    /** @param list<string> $flags more residentd flags, for this run only */
    public function restart(array $flags = []): void
    {
        $this->stop();
        $this->start($flags);
    }

    /** Runs the `resident` CLI next to residentd against this server; returns its output. */
    public function cli(string $command): string
    {
        $cli = dirname($this->binary) . '/resident';
        exec(escapeshellarg($cli) . " $command --socket " . escapeshellarg($this->socket) . ' 2>&1', $out, $code);
        if ($code !== 0) {
            throw new RuntimeException("resident $command failed:\n" . implode("\n", $out));
        }
        return implode("\n", $out);
    }

    public function isRunning(): bool
    {
        return $this->process !== null && proc_get_status($this->process)['running'];
    }

    public function log(): string
    {
        return (string) @file_get_contents($this->logFile);
    }

    /** Runs a PHP script in a child process with the extension loaded and this server's socket. */
    public function php(string $script, string ...$arguments): ChildProcess
    {
        return ChildProcess::start($this->socket, $script, $arguments);
    }

    private function signal(int $signal): void
    {
        if ($this->process === null) {
            return;
        }
        proc_terminate($this->process, $signal);
        $deadline = microtime(true) + 10;
        while ($this->isRunning() && microtime(true) < $deadline) {
            usleep(10_000);
        }
        if ($this->isRunning()) {
            proc_terminate($this->process, 9);
        }
        proc_close($this->process);
        $this->process = null;
    }
}
