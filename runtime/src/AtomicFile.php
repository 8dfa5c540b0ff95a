<?php
declare(strict_types=1);

namespace MokoWaaS;

/** Files replaced atomically: write a temporary file beside the target, fsync, rename. */
final class AtomicFile
{
    /**
     * @param int $mode file mode, e.g. 0640
     * @param string|null $group group to give the file (the PHP user's), when running as root
     */
    public static function write(string $path, string $content, int $mode = 0640, ?string $group = null): void
    {
        $dir = dirname($path);
        if (!is_dir($dir) && !mkdir($dir, 0750, true) && !is_dir($dir)) {
            throw new \RuntimeException("cannot create folder $dir");
        }
        $tmp = $dir . '/.' . basename($path) . '.' . bin2hex(random_bytes(6)) . '.tmp';
        $fh = fopen($tmp, 'x');
        if ($fh === false) {
            throw new \RuntimeException("cannot write $tmp");
        }
        try {
            chmod($tmp, $mode);
            if ($group !== null && posix_geteuid() === 0) {
                chgrp($tmp, $group);
            }
            if (fwrite($fh, $content) !== strlen($content) || !fflush($fh)) {
                throw new \RuntimeException("cannot write $tmp");
            }
            if (function_exists('fsync')) {
                fsync($fh);
            }
        } catch (\Throwable $e) {
            fclose($fh);
            @unlink($tmp);
            throw $e;
        }
        fclose($fh);
        if (!rename($tmp, $path)) {
            @unlink($tmp);
            throw new \RuntimeException("cannot replace $path");
        }
        if (function_exists('opcache_invalidate')) {
            @opcache_invalidate($path, true);
        }
    }

    /** A PHP file that returns $data, written with var_export so opcache serves it from memory. */
    public static function writePhpArray(string $path, array $data, int $mode = 0640, ?string $group = null): void
    {
        self::write($path, "<?php\n// Written by mokowaas; do not edit.\nreturn " . var_export($data, true) . ";\n", $mode, $group);
    }
}
