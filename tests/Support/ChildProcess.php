<?php

declare(strict_types=1);

namespace Resident\Tests\Support;

use RuntimeException;

/** Another PHP process with the extension loaded: a second request, worker or client. */
final class ChildProcess
{
    /** The exit code, once proc_get_status() has seen the process end (it reports it only once). */
    private ?int $exitCode = null;

    /** @param resource $process @param array<int, resource> $pipes */
    private function __construct(private $process, private array $pipes)
    {
    }

    /** @param list<string> $arguments */
    public static function start(string $socket, string $script, array $arguments = []): self
    {
        $extension = getenv('RESIDENT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libresident.so';
        $process = proc_open(
            [PHP_BINARY, '-d', 'extension=' . $extension, $script, ...$arguments],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            null,
            ['RESIDENT_SOCKET' => $socket] + getenv(),
        );
        if ($process === false) {
            throw new RuntimeException("Cannot start PHP for $script");
        }
        return new self($process, $pipes);
    }

    public function isRunning(): bool
    {
        $status = proc_get_status($this->process);
        if (!$status['running']) {
            $this->exitCode ??= $status['exitcode'];
        }
        return $status['running'];
    }

    /** Waits for the process; returns its standard output, throws with its errors if it failed. */
    public function wait(): string
    {
        $out = stream_get_contents($this->pipes[1]);
        $err = stream_get_contents($this->pipes[2]);
        $code = proc_close($this->process);
        $code = $this->exitCode ?? $code;
        if ($code !== 0) {
            throw new RuntimeException("Child PHP exited with $code:\n$out\n$err");
        }
        return (string) $out;
    }
}
