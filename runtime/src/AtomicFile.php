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
        Dirs::make($dir, 0750);
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

    /**
     * Like writePhpArray, as a class constant of a class named after its content (the file returns
     * it), for registry files read by the bootstrap: opcache keeps the constant in shared memory.
     * (An earlier measurement blamed plain `return [...]` files compiled from nested includes for a
     * per-request copy; the cost was PHP building $_SERVER, see docs/bench-data-plane.md.)
     */
    public static function writePhpConstant(string $path, array $data, int $mode = 0640, ?string $group = null): void
    {
        $export = var_export($data, true);
        $class = 'D' . substr(hash('sha256', $export), 0, 24);
        self::write($path, "<?php\n// Written by mokowaas; do not edit.\nnamespace MokoWaaS\\Data;\n\n"
            . "if (!\\class_exists($class::class, false)) {\n    final class $class\n    {\n        public const DATA = $export;\n    }\n}\n\n"
            . "return $class::DATA;\n", $mode, $group);
    }

    /** A PHP file that returns $data, written with var_export so opcache serves it from memory. */
    public static function writePhpArray(string $path, array $data, int $mode = 0640, ?string $group = null): void
    {
        self::write($path, "<?php\n// Written by mokowaas; do not edit.\nreturn " . var_export($data, true) . ";\n", $mode, $group);
    }
}
