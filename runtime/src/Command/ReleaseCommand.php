<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\AtomicFile;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Host;
use MokoWaaS\JoomlaConfig;
use MokoWaaS\Paths;
use MokoWaaS\ReleaseExtensions;
use MokoWaaS\Registry;
use MokoWaaS\Releases;

final class ReleaseCommand extends Command
{
    /** Bootstrap files, relative to runtime/joomla and to the release alike. */
    private const FILES = [
        'defines.php', 'administrator/defines.php', 'api/defines.php', 'configuration.php',
        'mokowaas/load.php', 'mokowaas/Tenant.php', 'mokowaas/ask.php', 'mokowaas/open-basedir.php', 'mokowaas/finalise-update.php',
        'mokowaas/pages/400.html', 'mokowaas/pages/404.html', 'mokowaas/pages/setup.html', 'mokowaas/pages/offline.html',
        'mokowaas/pages/managed.html', 'mokowaas/pages/managed-update.html', 'mokowaas/pages/managed-extensions.html', 'mokowaas/pages/starting.html', 'mokowaas/pages/421.html', 'mokowaas/pages/maintenance.html',
        'plugins/system/mokowaas/mokowaas.xml', 'plugins/system/mokowaas/services/provider.php',
        'plugins/system/mokowaas/src/Extension/Mokowaas.php', 'mokowaas/extensions.php', 'mokowaas/console.php',
    ];
    /** Tenant resolution, inlined into each defines.php where it says `require ... '/mokowaas/enter.php';`. */
    private const ENTER = 'mokowaas/enter.php';
    /** Data plane classes the bootstrap shares with the server CLI (runtime/src -> release mokowaas/). */
    private const SHARED = ['Rules.php', 'Host.php', 'Paths.php', 'JoomlaConfig.php', 'JoomlaConfigFile.php', 'CertificateCap.php'];
    /** Files concatenated into mokowaas/bootstrap.php: one include instead of five. */
    private const BUNDLE = ['mokowaas/Rules.php', 'mokowaas/Paths.php', 'mokowaas/Host.php', 'mokowaas/JoomlaConfig.php', 'mokowaas/Tenant.php'];
    /** What a folder must hold to be a Joomla release. */
    private const JOOMLA_MARKERS = ['index.php', 'includes/defines.php', 'administrator/index.php', 'api/index.php', 'cli/joomla.php'];

    public static function summary(): string
    {
        return 'install the tenant-aware bootstrap into a Joomla release; list releases and their tenants; remove an unused one';
    }

    public static function usage(): string
    {
        return "usage: mokowaas release bootstrap (<DIR> | --all) | release list [--json] | release rm <ID>\n"
            . "       mokowaas release extensions <DIR> --dist DIST --package NAME=SHA512:FILE [--package ...]\n"
            . "  list: every release beside the others (srv/mokowaas/releases/<ID>), its Joomla version, whether it is\n"
            . "  `current` (new tenants are pinned to it) and the tenants pinned to it.\n"
            . "  rm: removes release ID and its .dist; refused (exit 6) while a tenant uses it or it is `current`.\n"
            . "bootstrap (--all: every release under srv/mokowaas/releases, as the runtime install does after an upgrade):\n"
            . "  Installs defines.php (root, administrator, api), configuration.php, the mokowaas/ library and the platform's\n"
            . "  plugin (plugins/system/mokowaas) into the\n"
            . "  unpacked Joomla release DIR, owned by root and not writable by the PHP user, and links DIR/sites to the\n"
            . "  tenants' storage (media). DIR must not contain installation/ (build the blueprint from a copy first).\n"
            . "  extensions: installs each extension package (a Joomla pkg_*, checked against its SHA-512) into the freshly\n"
            . "  unpacked DIR with Joomla's own installer, against a throwaway database built from DIST's install SQL, and\n"
            . "  records them in DIR/mokowaas/extensions.json, what tenants may list (docs/extensions.md). Run before bootstrap.\n"
            . "exit codes: 0 ok, 1 the installer failed, 2 usage, 3 DIR is not a servable Joomla release / not a release id, or\n"
            . "  a package is missing or does not match its checksum (nothing changed), 4 no such release, 6 release in use (rm)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['dist'], ['json', 'all'], ['package']);
        $sub = $args->positional[0] ?? null;
        if ($sub === 'extensions' && count($args->positional) === 2 && !$args->flag('json') && !$args->flag('all')) {
            return $this->extensions(rtrim($args->arg(1, 'DIR'), '/'), $args);
        }
        if ($args->all('package') !== [] || $args->option('dist') !== null) {
            throw new UserError('--dist and --package are for `release extensions <DIR>`', ExitCode::USAGE);
        }
        if ($sub === 'list' || $sub === 'rm') {
            return $this->catalog($sub, $args);
        }
        if ($sub === 'bootstrap' && $args->flag('all') && count($args->positional) === 1 && !$args->flag('json')) {
            // Every release beside the others holds copies of the bootstrap: each gets the new runtime's.
            foreach ((new Releases($this->paths))->list(new Registry($this->paths)) as $r) {
                $this->check($r['dir']);
                $this->install($r['dir']);
                $this->out("release: bootstrap installed into {$r['dir']}");
            }
            return ExitCode::OK;
        }
        if ($sub !== 'bootstrap' || count($args->positional) !== 2 || $args->flag('json') || $args->flag('all')) {
            throw new UserError('expected: release bootstrap <DIR>|--all, release list [--json], release rm <ID>, or release extensions <DIR> --dist DIST --package NAME=SHA512:FILE...', ExitCode::USAGE);
        }
        $dir = rtrim($args->arg(1, 'DIR'), '/');
        $this->check($dir);
        $this->install($dir);
        $this->out("release: bootstrap installed into $dir");
        return ExitCode::OK;
    }

    private function extensions(string $dir, Args $args): int
    {
        $dist = $args->option('dist') ?? throw new UserError('release extensions: --dist DIST is required (the Joomla package as published, with installation/)', ExitCode::USAGE);
        $packages = [];
        foreach ($args->all('package') as $spec) {
            if (!preg_match('/^([^=]+)=([0-9a-f]{128}):(.+)\z/', $spec, $m)) {
                throw new UserError("--package \"$spec\": expected NAME=SHA512:FILE (the package's 128 hex digit SHA-512)", ExitCode::USAGE);
            }
            if (isset($packages[$m[1]])) {
                throw new UserError("--package: extension {$m[1]} is given twice", ExitCode::USAGE);
            }
            $packages[$m[1]] = ['sha512' => $m[2], 'file' => $m[3]];
        }
        if ($packages === []) {
            throw new UserError('release extensions: give at least one --package NAME=SHA512:FILE', ExitCode::USAGE);
        }
        foreach (self::JOOMLA_MARKERS as $marker) {
            if (!is_file("$dir/$marker")) {
                throw new UserError("$dir is not a Joomla release: $marker is missing");
            }
        }
        ReleaseExtensions::install($this->paths, $dir, rtrim($dist, '/'), $packages, fn (string $l) => $this->err($l));
        $this->out('release: ' . implode(', ', array_keys($packages)) . " installed into $dir");
        return ExitCode::OK;
    }

    /** `release list` and `release rm` (runtime/src/Releases.php). */
    private function catalog(string $sub, Args $args): int
    {
        $releases = new Releases($this->paths);
        $registry = new Registry($this->paths);
        if ($sub === 'rm') {
            if (count($args->positional) !== 2 || $args->flag('json')) {
                throw new UserError('expected: release rm <ID>', ExitCode::USAGE);
            }
            $releases->remove($registry, $args->arg(1, 'ID'));
            $this->out('release: removed ' . $args->arg(1, 'ID'));
            return ExitCode::OK;
        }
        if (count($args->positional) !== 1) {
            throw new UserError('expected: release list [--json]', ExitCode::USAGE);
        }
        $list = $releases->list($registry);
        if ($args->flag('json')) {
            $this->json($list);
            return ExitCode::OK;
        }
        foreach ($list as $r) {
            $this->out(sprintf('%-24s %-8s %-8s %s', $r['id'], $r['version'] ?? '?', $r['current'] ? 'current' : '', $r['tenants'] === [] ? '(unused)' : implode(' ', $r['tenants'])));
        }
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
        foreach (['', '/administrator', '/api', '/mokowaas', '/mokowaas/pages', '/plugins/system/mokowaas', '/plugins/system/mokowaas/services',
            '/plugins/system/mokowaas/src', '/plugins/system/mokowaas/src/Extension'] as $sub) {
            $this->rootOwnedDir($dir . $sub);
        }
        foreach ($files as $target => $from) {
            $content = file_get_contents($from);
            if ($content === false) {
                throw new \RuntimeException("cannot read $from");
            }
            $content = $this->render($target, $content);
            AtomicFile::write("$dir/$target", $content, 0644);
            if (posix_geteuid() === 0) {
                chown("$dir/$target", 0);
                chgrp("$dir/$target", 0);
            }
        }
        $bundle = $this->bundle(array_map(static fn (string $f): string => "$dir/$f", self::BUNDLE));
        AtomicFile::write("$dir/mokowaas/bootstrap.php", $bundle, 0644);
        if (posix_geteuid() === 0) {
            chown("$dir/mokowaas/bootstrap.php", 0);
            chgrp("$dir/mokowaas/bootstrap.php", 0);
        }
        $this->linkSites($dir);
    }

    /**
     * Fills in what a bootstrap file takes from elsewhere, so each rule stays defined once: each
     * defines.php gets the tenant resolution of mokowaas/enter.php inlined (one include fewer per
     * request), whose fast path gets Host::KEY_CHARS, Paths::HOST_FILES, Paths::TENANTS and JoomlaConfig::TENANT_FILE; configuration.php gets
     * `class JConfig` with every property and its default (JoomlaConfig).
     */
    private function render(string $target, string $content): string
    {
        if (str_ends_with($target, 'defines.php')) {
            return $this->inlineEnter($target, $content);
        }
        if ($target !== 'configuration.php') {
            return $content;
        }
        $constructor = "foreach (\\MokoWaaS\\Joomla\\Tenant::config() as \$key => \$value) {\n    \$this->\$key = \$value;\n}";
        return self::fill($target, $content, ["    // @JConfig\n" => JoomlaConfig::declaration([], $constructor, '    ')]);
    }

    private function inlineEnter(string $target, string $content): string
    {
        if (preg_match_all("~^require (.+) \\. '/mokowaas/enter\\.php';\n~m", $content, $m) !== 1) {
            throw new \LogicException("$target must require mokowaas/enter.php exactly once");
        }
        $template = (string) file_get_contents(dirname(__DIR__, 2) . '/joomla/' . self::ENTER);
        $guard = "\\defined('_JEXEC') or die;\n";
        $code = substr($template, (int) strpos($template, $guard) + strlen($guard));
        $code = self::fill(self::ENTER, $code, [
            "'@Host::KEY_CHARS@'" => var_export(Host::KEY_CHARS, true),
            "'@Paths::HOST_FILES@'" => var_export(Paths::HOST_FILES, true),
            "'@Paths::TENANTS@'" => var_export(Paths::TENANTS, true),
            "'@JoomlaConfig::TENANT_FILE@'" => var_export(JoomlaConfig::TENANT_FILE, true),
            "__DIR__ . '/load.php'" => $m[1][0] . " . '/mokowaas/load.php'",
        ]);
        return str_replace($m[0][0], "// Tenant resolution (mokowaas/enter.php, inlined by `mokowaas release bootstrap`):\n" . $code, $content);
    }

    /** @param array<string, string> $fill placeholder => value; each placeholder must occur exactly once */
    private static function fill(string $file, string $content, array $fill): string
    {
        foreach ($fill as $placeholder => $value) {
            if (substr_count($content, $placeholder) !== 1) {
                throw new \LogicException("$file must hold $placeholder exactly once");
            }
        }
        return strtr($content, $fill);
    }

    /** @param list<string> $files PHP files that each start with `<?php declare(strict_types=1);` and one namespace */
    private function bundle(array $files): string
    {
        $out = "<?php\ndeclare(strict_types=1);\n\n// Generated by `mokowaas release bootstrap` from "
            . implode(', ', array_map('basename', $files)) . ": one file to include per request (see load.php).\n";
        foreach ($files as $file) {
            $code = preg_replace('/^<\?php\s+declare\(strict_types=1\);\s*/', '', (string) file_get_contents($file), 1, $count);
            if ($count !== 1) {
                throw new \RuntimeException("$file must start with <?php declare(strict_types=1);");
            }
            $out .= "\n" . $code;
        }
        return $out;
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
        $target = $this->paths->tenants();
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
