<?php

declare(strict_types=1);

namespace Resident\Testing;

use RuntimeException;

/**
 * A throwaway residentd for a test suite: its own socket and data directory in a
 * temporary directory, started in tens of milliseconds, removed when the process ends.
 * `reset()` restarts it on an empty data directory, which is how tests get a fresh state
 * without any operation on the server that could wipe a production one.
 *
 * The binary is `$RESIDENTD`, else `residentd` on the PATH, else the release build of the
 * checkout this file is in.
 */
final class TestServer
{
    /** How long start() waits for the socket: a cold start replays nothing, so seconds mean trouble. */
    private const START_SECONDS_MAX = 10;

    /** @var resource|null */
    private $process = null;

    private static ?self $shared = null;

    /** @param list<string> $flags more residentd flags, e.g. ['--fsync', 'never'] */
    public function __construct(
        public readonly string $binary,
        public readonly string $socket,
        public readonly string $dataDir,
        public readonly string $logFile,
        private array $flags = [],
    ) {
    }

    /**
     * The server the tests of this process share, started at first use, with PHP's
     * connection pointed at it (see pointPhpHere()).
     */
    public static function shared(): self
    {
        return self::$shared ??= self::startedFor('phpunit');
    }

    /**
     * A server of its own (for a script, or a suite that wants one apart from the shared
     * one), in a new temporary directory, with PHP's connection pointed at it, started.
     *
     * @param list<string> $flags
     */
    public static function startedFor(string $name, array $flags = []): self
    {
        $server = self::inTemporaryDirectory($name, $flags);
        $server->pointPhpHere();
        $server->start();
        return $server;
    }

    /**
     * A server (not started) in a new temporary directory named after `$name`, stopped and
     * removed when the process ends.
     *
     * @param list<string> $flags
     */
    public static function inTemporaryDirectory(string $name, array $flags = []): self
    {
        $dir = sys_get_temp_dir() . '/resident-' . $name . '-' . getmypid() . '-' . bin2hex(random_bytes(3));
        if (!mkdir($dir, 0700, true)) {
            throw new RuntimeException("Cannot create $dir for a test residentd.");
        }
        $server = new self(self::findBinary(), "$dir/resident.sock", "$dir/data", "$dir/residentd.log", $flags);
        register_shutdown_function(static function () use ($server, $dir): void {
            $server->stop();
            self::removeTree($dir);
        });
        return $server;
    }

    /**
     * Points this process's Resident connection at this server: the extension reads
     * RESIDENT_SOCKET (over php.ini) when it connects, and the frameworks' configuration
     * reads it from $_ENV and $_SERVER.
     */
    public function pointPhpHere(): void
    {
        putenv('RESIDENT_SOCKET=' . $this->socket);
        $_ENV['RESIDENT_SOCKET'] = $_SERVER['RESIDENT_SOCKET'] = $this->socket;
    }

    public function start(): void
    {
        if (!is_executable($this->binary)) {
            throw new RuntimeException("residentd not found at {$this->binary}: build it (make build) or set RESIDENTD.");
        }
        $this->process = proc_open(
            [$this->binary, '--socket', $this->socket, '--data', $this->dataDir, ...$this->flags],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->logFile, 'a'], 2 => ['file', $this->logFile, 'a']],
            $pipes,
        ) ?: null;
        $deadline = microtime(true) + self::START_SECONDS_MAX;
        while (microtime(true) < $deadline) {
            if (!$this->isRunning()) {
                throw new RuntimeException("residentd exited at start:\n" . $this->log());
            }
            $client = @stream_socket_client('unix://' . $this->socket, $errno, $error, 0.2);
            if ($client !== false) {
                fclose($client);
                return;
            }
            usleep(2_000);
        }
        throw new RuntimeException("residentd did not listen on {$this->socket} within " . self::START_SECONDS_MAX . " s:\n" . $this->log());
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

    /**
     * Stops and starts the server on the same data; with `$flags`, it starts with those
     * residentd flags instead of the ones it had (e.g. `['--idle-timeout-ms', '300']`).
     *
     * @param list<string>|null $flags
     */
    public function restart(?array $flags = null): void
    {
        $this->stop();
        $this->flags = $flags ?? $this->flags;
        $this->start();
    }

    /**
     * A fresh, empty state: stops the server, removes its data directory and starts it
     * again on the same socket. PHP's connection notices the restart and reconnects by
     * itself (registering the schemas again as classes are used).
     */
    public function reset(): void
    {
        $this->stop();
        self::removeTree($this->dataDir);
        $this->start();
    }

    public function isRunning(): bool
    {
        return $this->process !== null && proc_get_status($this->process)['running'];
    }

    /** What the server wrote to stderr: for failure messages. */
    public function log(): string
    {
        return (string) @file_get_contents($this->logFile);
    }

    private static function findBinary(): string
    {
        $fromEnv = getenv('RESIDENTD');
        if (is_string($fromEnv) && $fromEnv !== '') {
            return $fromEnv;
        }
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if ($dir !== '' && is_executable("$dir/residentd")) {
                return "$dir/residentd";
            }
        }
        return dirname(__DIR__, 3) . '/target/release/residentd';
    }

    private function signal(int $signal): void
    {
        if ($this->process === null) {
            return;
        }
        proc_terminate($this->process, $signal);
        $deadline = microtime(true) + self::START_SECONDS_MAX;
        while ($this->isRunning() && microtime(true) < $deadline) {
            usleep(2_000);
        }
        if ($this->isRunning()) {
            proc_terminate($this->process, 9);
        }
        proc_close($this->process);
        $this->process = null;
    }

    /** In PHP rather than `rm -rf`: starting a shell would cost more than the restart. */
    private static function removeTree(string $path): void
    {
        if (!is_dir($path)) {
            return;
        }
        $walk = new \RecursiveIteratorIterator(
            new \RecursiveDirectoryIterator($path, \FilesystemIterator::SKIP_DOTS),
            \RecursiveIteratorIterator::CHILD_FIRST,
        );
        foreach ($walk as $entry) {
            $entry->isDir() && !$entry->isLink() ? rmdir($entry->getPathname()) : unlink($entry->getPathname());
        }
        rmdir($path);
    }
}
