<?php

declare(strict_types=1);

namespace Resident\Console;

/** The `stats` answer as the lines `resident:status` prints. */
final class StatusLines
{
    /**
     * @param array<string, mixed> $stats
     * @return list<string>
     */
    public static function of(array $stats, string $socket): array
    {
        $entities = [];
        foreach ($stats['entities'] as $type => $count) {
            $entities[] = "$type $count";
        }
        $storage = $stats['storage'];
        $snapshot = $storage['snapshot_position'] === null ? 'none yet' : "newest at position {$storage['snapshot_position']}";
        return [
            "{$stats['server']} on $socket, up " . self::duration(intdiv($stats['uptime_ms'], 1000)),
            "position {$stats['position']}, streams {$stats['streams']}, schema version {$stats['schema_version']}, connections {$stats['connections']}",
            'entities: ' . ($entities === [] ? 'none' : implode(', ', $entities)),
            "storage: fsync {$storage['fsync']}, {$storage['log_segments']} log segments (" . self::bytes($storage['log_bytes']) . "), {$storage['snapshots']} snapshots ($snapshot)",
        ];
    }

    public static function bytes(int $bytes): string
    {
        $units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
        $unit = 0;
        $size = (float) $bytes;
        while ($size >= 1024 && $unit < count($units) - 1) {
            $size /= 1024;
            $unit++;
        }
        return $unit === 0 ? "$bytes B" : sprintf('%.1f %s', $size, $units[$unit]);
    }

    private static function duration(int $seconds): string
    {
        return match (true) {
            $seconds < 60 => "{$seconds}s",
            $seconds < 3600 => intdiv($seconds, 60) . 'm ' . ($seconds % 60) . 's',
            default => intdiv($seconds, 3600) . 'h ' . intdiv($seconds % 3600, 60) . 'm',
        };
    }
}
