<?php

declare(strict_types=1);

namespace Bench\Http\Tools;

/**
 * The accounts every variant starts with: the same uuids, names and balances, computed
 * from the account's number so that no file has to be shared. Balances start at 100,000
 * or more, so the benchmark's transfers of 1 never run an account dry.
 */
final class SeedAccounts
{
    private const COUNT_DEFAULT = 10_000;
    private const COUNT_MAX = 1_000_000;

    /** The first few accounts belong to the smoke test; the load generator leaves them alone. */
    public const SMOKE_ACCOUNTS = 5;

    /** BENCH_HTTP_ACCOUNTS, default 10,000. */
    public static function count(): int
    {
        $value = getenv('BENCH_HTTP_ACCOUNTS');
        $count = $value === false || $value === '' ? self::COUNT_DEFAULT : (int) $value;
        if ($count < self::SMOKE_ACCOUNTS + 2 || $count > self::COUNT_MAX) {
            throw new \RuntimeException(sprintf('BENCH_HTTP_ACCOUNTS must be from %d to %d.', self::SMOKE_ACCOUNTS + 2, self::COUNT_MAX));
        }
        return $count;
    }

    /** A version-4-shaped uuid derived from the number; numbers past count() name no account. */
    public static function uuid(int $number): string
    {
        $hex = md5("resident-bench-http-account-$number");
        $hex[12] = '4';
        $hex[16] = dechex(8 | (hexdec($hex[16]) & 3));
        return implode('-', [substr($hex, 0, 8), substr($hex, 8, 4), substr($hex, 12, 4), substr($hex, 16, 4), substr($hex, 20)]);
    }

    public static function name(int $number): string
    {
        return sprintf('Account %06d', $number);
    }

    public static function balance(int $number): int
    {
        return 100_000 + ($number * 7_919) % 900_000;
    }

    /** @return \Generator<int, array{0: string, 1: string, 2: int}> uuid, name, balance */
    public static function all(int $count): \Generator
    {
        for ($number = 0; $number < $count; $number++) {
            yield $number => [self::uuid($number), self::name($number), self::balance($number)];
        }
    }
}
