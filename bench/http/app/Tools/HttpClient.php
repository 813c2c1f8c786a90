<?php

declare(strict_types=1);

namespace Bench\Http\Tools;

/**
 * A minimal HTTP/1.0 client for the smoke test (php-curl is not needed): one connection
 * per request, so the answer ends where the connection does; several requests can be
 * sent before any answer is read, to make them run at the same time.
 */
final class HttpClient
{
    private const TIMEOUT_S = 15;
    private const RESPONSE_BYTES_MAX = 4_000_000;

    public function __construct(private readonly string $host, private readonly int $port)
    {
    }

    /**
     * @param array<string, string> $form sent as a urlencoded body (then the method is POST)
     * @return array{status: int, headers: array<string, string>, body: string}
     */
    public function request(string $method, string $path, array $form = []): array
    {
        return $this->parallel([[$method, $path, $form]])[0];
    }

    /**
     * Sends every request, then reads every answer, in order.
     *
     * @param list<array{0: string, 1: string, 2?: array<string, string>}> $requests
     * @return list<array{status: int, headers: array<string, string>, body: string}>
     */
    public function parallel(array $requests): array
    {
        $sockets = [];
        foreach ($requests as $request) {
            [$method, $path] = $request;
            $form = $request[2] ?? [];
            $socket = stream_socket_client("tcp://{$this->host}:{$this->port}", $errno, $error, self::TIMEOUT_S);
            if ($socket === false) {
                throw new \RuntimeException("Cannot connect to {$this->host}:{$this->port}: $error");
            }
            stream_set_timeout($socket, self::TIMEOUT_S);
            $body = http_build_query($form);
            fwrite($socket, "$method $path HTTP/1.0\r\nHost: {$this->host}\r\n"
                . ($method === 'POST' ? "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " . strlen($body) . "\r\n" : '')
                . "\r\n" . ($method === 'POST' ? $body : ''));
            $sockets[] = $socket;
        }
        return array_map(function ($socket): array {
            $raw = (string) stream_get_contents($socket, self::RESPONSE_BYTES_MAX);
            $timedOut = stream_get_meta_data($socket)['timed_out'];
            fclose($socket);
            if ($timedOut) {
                throw new \RuntimeException('No answer within ' . self::TIMEOUT_S . ' s.');
            }
            return self::parse($raw);
        }, $sockets);
    }

    /** @return array{status: int, headers: array<string, string>, body: string} */
    private static function parse(string $raw): array
    {
        [$head, $body] = array_pad(explode("\r\n\r\n", $raw, 2), 2, '');
        $lines = explode("\r\n", $head);
        if (preg_match('#^HTTP/1\.[01] (\d{3})#', $lines[0], $m) !== 1) {
            throw new \RuntimeException('Not an HTTP answer: ' . substr($raw, 0, 200));
        }
        $headers = [];
        foreach (array_slice($lines, 1) as $line) {
            [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
            $headers[strtolower(trim($name))] = trim($value);
        }
        return ['status' => (int) $m[1], 'headers' => $headers, 'body' => $body];
    }
}
