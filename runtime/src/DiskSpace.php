<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * Free space of the filesystems the platform writes its data to (the Borg repository, the tenants'
 * folders), for `health` and for errors that a full disk caused.
 */
final class DiskSpace
{
    /** `health` fails below this much free space on any of them unless the platform config says otherwise. */
    public const DEFAULT_MIN_FREE_MB = 1024;

    /**
     * The filesystem holding $path: its nearest existing folder (the Borg repository does not exist
     * before the first backup), that folder's device and its free bytes; null when nothing exists.
     *
     * @return array{folder: string, device: int, freeBytes: int, totalBytes: int}|null
     */
    public static function of(string $path): ?array
    {
        $folder = $path;
        clearstatcache();
        while (!is_dir($folder)) {
            $up = dirname($folder);
            if ($up === $folder) {
                return null;
            }
            $folder = $up;
        }
        $st = @stat($folder);
        $free = @disk_free_space($folder);
        $total = @disk_total_space($folder);
        if ($st === false || $free === false || $total === false) {
            return null;
        }
        return ['folder' => $folder, 'device' => (int) $st['dev'], 'freeBytes' => (int) $free, 'totalBytes' => (int) $total];
    }

    /** Whether an error message is the operating system's "disk full" (ENOSPC), as borg, mysqldump or PHP word it. */
    public static function isFull(string $message): bool
    {
        return stripos($message, 'No space left on device') !== false || stripos($message, 'errno 28') !== false || str_contains($message, 'Errcode: 28');
    }

    /** "<folder>: 1.2 MB free of 8.0 MB", for errors and health details. */
    public static function describe(string $path): string
    {
        $fs = self::of($path);
        return $fs === null ? "$path: free space unknown" : sprintf('%s: %s free of %s', $fs['folder'], self::mb($fs['freeBytes']), self::mb($fs['totalBytes']));
    }

    public static function mb(int $bytes): string
    {
        return sprintf('%.1f MB', $bytes / 1048576);
    }
}
