<?php
declare(strict_types=1);

namespace MokoWaaS;

/** Folder creation with the modes a server needs. */
final class Dirs
{
    /**
     * Creates $dir with $mode. Missing parents get 0755, as /etc, /srv and /var have on a server:
     * a recursive mkdir would give them $mode (minus the CLI's umask), and a 0750 root:root
     * $ROOT/etc then hides the host map from the PHP user under a test or local root.
     */
    public static function make(string $dir, int $mode): void
    {
        if (is_dir($dir)) {
            return;
        }
        $parent = dirname($dir);
        if ($parent !== $dir && !is_dir($parent)) {
            self::make($parent, 0755);
        }
        if (!@mkdir($dir, $mode) && !is_dir($dir)) {
            throw new \RuntimeException("cannot create folder $dir");
        }
        // mkdir applies the umask; the mode asked for is the mode wanted.
        @chmod($dir, $mode);
    }
}
