<?php

declare(strict_types=1);

namespace Resident\Query;

use JsonException;
use Resident\Exception\QueryException;

/**
 * The opaque pagination cursor handed to users: the server's keyset position (the order
 * values and id of the last row of a page) together with the order it was taken in, so a
 * cursor replayed against a differently ordered query is refused instead of skipping rows.
 *
 * It is base64url-encoded JSON: not secret, not signed; the server checks every value it
 * receives, so a forged cursor can only select a different starting point.
 */
final class Cursor
{
    private const VERSION = 1;

    /**
     * @param list<array{field: string, dir: string}> $order
     * @param list<mixed> $after
     */
    private function __construct(public readonly array $order, public readonly array $after)
    {
    }

    /**
     * @param list<array{field: string, dir: string}> $order
     * @param list<mixed> $after
     */
    public static function encode(array $order, array $after): string
    {
        try {
            $json = json_encode(
                ['v' => self::VERSION, 'order' => $order, 'after' => $after],
                JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES,
            );
        } catch (JsonException $e) {
            // NAN and INF (stored before the extension refused them) have no JSON form.
            throw new QueryException(sprintf(
                'Cannot make a cursor after this page: its last row holds a value JSON cannot carry (%s) in its order fields (%s). '
                . 'Page with after($lastEntity) instead, or correct the stored value.',
                $e->getMessage(),
                implode(', ', [...array_column($order, 'field'), 'id']),
            ), 0, $e);
        }
        return rtrim(strtr(base64_encode($json), '+/', '-_'), '=');
    }

    public static function decode(string $cursor): self
    {
        $json = base64_decode(strtr($cursor, '-_', '+/'), true);
        try {
            $data = $json === false ? null : json_decode($json, true, 8, JSON_THROW_ON_ERROR);
        } catch (JsonException) {
            $data = null;
        }
        if (
            !is_array($data)
            || ($data['v'] ?? null) !== self::VERSION
            || !is_array($data['order'] ?? null)
            || !is_array($data['after'] ?? null)
            || !array_is_list($data['after'])
            || count($data['after']) !== count($data['order']) + 1
        ) {
            throw new QueryException('Not a Resident pagination cursor: pass the string a Page\'s nextCursor() returned.');
        }
        return new self($data['order'], $data['after']);
    }
}
