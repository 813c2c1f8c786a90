<?php

declare(strict_types=1);

namespace Resident\Bench;

use RuntimeException;

/**
 * Just enough of the wire protocol to bulk-load a benchmark: CBOR encoding of plain PHP
 * values and one request at a time over the socket. Seeding a million accounts through
 * one-aggregate commits would measure fsync, not reads; a commit may carry many streams.
 */
final class RawClient
{
    /** @var resource */
    private $socket;
    private int $nextId = 1;

    public function __construct(string $path)
    {
        $socket = stream_socket_client('unix://' . $path, $errno, $error, 5);
        if ($socket === false) {
            throw new RuntimeException("Cannot connect to $path: $error");
        }
        stream_set_timeout($socket, 120);
        $this->socket = $socket;
    }

    /** A random (version 4) uuid, for the streams and events a benchmark loads. */
    public static function uuid4(): string
    {
        $b = random_bytes(16);
        $b[6] = chr(ord($b[6]) & 0x0f | 0x40);
        $b[8] = chr(ord($b[8]) & 0x3f | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($b), 4));
    }

    /** Sends one request; throws unless the answer says ok. */
    public function request(array $request): void
    {
        $body = self::encode(['id' => $this->nextId++] + $request);
        fwrite($this->socket, pack('N', strlen($body)) . $body);
        $length = unpack('N', $this->read(4))[1];
        $answer = $this->read($length);
        if (!str_contains($answer, "\x62ok\xf5")) {
            throw new RuntimeException('residentd refused a request: ' . preg_replace('/[^\x20-\x7e]+/', ' ', $answer));
        }
    }

    private function read(int $length): string
    {
        $data = '';
        while (strlen($data) < $length) {
            $chunk = fread($this->socket, $length - strlen($data));
            if ($chunk === false || $chunk === '') {
                throw new RuntimeException('residentd closed the connection');
            }
            $data .= $chunk;
        }
        return $data;
    }

    public static function encode(mixed $value): string
    {
        return match (true) {
            is_int($value) => $value >= 0 ? self::head(0, $value) : self::head(1, -1 - $value),
            is_string($value) => self::head(3, strlen($value)) . $value,
            is_bool($value) => $value ? "\xf5" : "\xf4",
            $value === null => "\xf6",
            is_float($value) => "\xfb" . pack('E', $value),
            is_array($value) && array_is_list($value) => self::head(4, count($value)) . implode('', array_map(self::encode(...), $value)),
            is_array($value) => self::head(5, count($value)) . implode('', array_map(
                static fn ($k, $v): string => self::encode((string) $k) . self::encode($v),
                array_keys($value),
                $value,
            )),
            default => throw new RuntimeException('cannot encode ' . get_debug_type($value)),
        };
    }

    private static function head(int $major, int $n): string
    {
        $m = $major << 5;
        return match (true) {
            $n < 24 => chr($m | $n),
            $n < 0x100 => chr($m | 24) . chr($n),
            $n < 0x10000 => chr($m | 25) . pack('n', $n),
            $n < 0x100000000 => chr($m | 26) . pack('N', $n),
            default => chr($m | 27) . pack('J', $n),
        };
    }
}
