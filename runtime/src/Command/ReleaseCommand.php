<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\AtomicFile;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

final class ReleaseCommand extends Command
{
    /** Bootstrap files, relative to runtime/joomla and to the release alike. */
    private const FILES = [
        'defines.php', 'administrator/defines.php', 'api/defines.php', 'configuration.php',
        'mokowaas/load.php', 'mokowaas/Tenant.php', 'mokowaas/ask.php',
        'mokowaas/pages/400.html', 'mokowaas/pages/404.html', 'mokowaas/pages/setup.html', 'mokowaas/pages/offline.html',
    ];
    /** Data plane classes the bootstrap shares with the server CLI (runtime/src -> release mokowaas/). */
    private const SHARED = ['Host.php', 'Paths.php'];
    /** What a folder must hold to be a Joomla release. */
    private const JOOMLA_MARKERS = ['index.php', 'includes/defines.php', 'administrator/index.php', 'api/index.php', 'cli/joomla.php'];

    public static function summary(): string
    {
        return 'install the tenant-aware bootstrap into a Joomla release';
    }

    public static function usage(): string
    {
        return "usage: mokowaas release bootstrap <DIR>\n"
            . "  Installs defines.php (root, administrator, api), configuration.php and the mokowaas/ library into the\n"
            . "  unpacked Joomla release DIR, owned by root and not writable by the PHP user, and links DIR/sites to the\n"
            . "  tenants' storage (media). DIR must not contain installation/ (build the blueprint from a copy first).\n"
            . "exit codes: 0 ok, 2 usage, 3 DIR is not a servable Joomla release (nothing changed)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv);
        if ($args->arg(0, 'bootstrap') !== 'bootstrap' || count($args->positional) !== 2) {
            throw new UserError('expected: release bootstrap <DIR>', ExitCode::USAGE);
        }
        $dir = rtrim($args->arg(1, 'DIR'), '/');
        $this->check($dir);
        $this->install($dir);
        $this->out("release: bootstrap installed into $dir");
        return ExitCode::OK;
    }

    private function check(string $dir): void
    {
        if (!is_dir($dir)) {
            throw new UserError("$dir is not a folder: give the unpacked Joomla release");
        }
        foreach (self::JOOMLA_MARKERS as $marker) {
            if (!is_file("$dir/$marker")) {
                throw new UserError("$dir is not a Joomla release: $marker is missing");
            }
        }
        if (file_exists("$dir/installation")) {
            throw new UserError("$dir/installation exists: Joomla would send every tenant to its installer; remove it (build the blueprint from a copy of the release first)");
        }
        if (file_exists("$dir/sites") && !is_link("$dir/sites")) {
            throw new UserError("$dir/sites exists and is not the link to tenant storage this command makes: move it away");
        }
    }

    private function install(string $dir): void
    {
        $source = dirname(__DIR__, 2) . '/joomla';
        $files = [];
        foreach (self::FILES as $file) {
            $files[$file] = "$source/$file";
        }
        foreach (self::SHARED as $file) {
            $files["mokowaas/$file"] = dirname(__DIR__) . "/$file";
        }
        foreach (['', '/administrator', '/api', '/mokowaas', '/mokowaas/pages'] as $sub) {
            $this->rootOwnedDir($dir . $sub);
        }
        foreach ($files as $target => $from) {
            $content = file_get_contents($from);
            if ($content === false) {
                throw new \RuntimeException("cannot read $from");
            }
            AtomicFile::write("$dir/$target", $content, 0644);
            if (posix_geteuid() === 0) {
                chown("$dir/$target", 0);
                chgrp("$dir/$target", 0);
            }
        }
        $this->linkSites($dir);
    }

    /** Creates $path if needed; as root, makes it root's and not writable by group or others. */
    private function rootOwnedDir(string $path): void
    {
        if (!is_dir($path) && !mkdir($path, 0755, true) && !is_dir($path)) {
            throw new \RuntimeException("cannot create folder $path");
        }
        if (posix_geteuid() === 0) {
            chown($path, 0);
            chgrp($path, 0);
            chmod($path, (fileperms($path) & 0777 & ~0022) | 0555);
        }
    }

    /** DIR/sites -> $ROOT/srv/mokowaas/tenants: media lives at sites/<tenant>/media/{images,files}. */
    private function linkSites(string $dir): void
    {
        $target = $this->paths->srv() . '/tenants';
        $link = "$dir/sites";
        if (is_link($link) && readlink($link) === $target) {
            return;
        }
        $tmp = "$dir/.sites." . bin2hex(random_bytes(4));
        if (!symlink($target, $tmp) || !rename($tmp, $link)) {
            @unlink($tmp);
            throw new \RuntimeException("cannot link $link to $target");
        }
    }
}
