<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Schema\SchemaSet;

/**
 * The extensions a release offers its tenants (docs/extensions.md). The platform installs each
 * extension package into a release once, with Joomla's own installer (its CLI `extension:install`,
 * run as root in the release against a throwaway database), so the shared code holds the files;
 * what each tenant uses is installed into its own database later (TenantExtensions). The release
 * records what it offers in `mokowaas/extensions.json`: per platform name, the package element, its
 * version and its child extensions (type, element, folder, client) with their manifests.
 */
final class ReleaseExtensions
{
    public const FILE = 'mokowaas/extensions.json';
    /** A platform extension name (the tenant YAML's `extensions` list and the platform stack's). */
    public const NAME = '/^[a-z][a-z0-9_-]{0,63}\z/';
    private const PREFIX = 'jos_';

    /**
     * What `$releaseDir` offers, by platform name (empty when it offers nothing).
     *
     * @return array<string, array{package: string, version: string, sha512: string, children: list<array{type: string, element: string, folder: string, client_id: int, manifest: string, root: string}>}>
     */
    public static function offered(string $releaseDir): array
    {
        $file = rtrim($releaseDir, '/') . '/' . self::FILE;
        if (!is_file($file)) {
            return [];
        }
        $data = json_decode((string) file_get_contents($file), true);
        if (!is_array($data) || !is_array($data['extensions'] ?? null)) {
            throw new \RuntimeException("$file is not a release's extension list");
        }
        return $data['extensions'];
    }

    /**
     * Problems of a tenant's `extensions` list against what the release offers ("" when fine).
     *
     * @param list<string> $names
     */
    public static function unknown(array $names, string $releaseDir): string
    {
        $offered = self::offered($releaseDir);
        $missing = array_values(array_diff($names, array_keys($offered)));
        if ($missing === []) {
            return '';
        }
        return 'extensions: ' . implode(', ', array_map(static fn (string $n): string => "\"$n\"", $missing))
            . ' not offered by the platform (the served release offers ' . ($offered === [] ? 'none' : implode(', ', array_keys($offered)))
            . '; the platform stack\'s mokowaas:extensions adds them)';
    }

    /**
     * The schema sets of the release's extensions that carry MySQL update files (manifest
     * `<update><schemas>`), in release order: `migrate` applies them to each tenant that has the
     * extension installed.
     *
     * @return list<SchemaSet>
     */
    public static function schemaSets(string $releaseDir): array
    {
        $root = rtrim($releaseDir, '/');
        $sets = [];
        foreach (self::offered($root) as $name => $ext) {
            foreach ($ext['children'] as $child) {
                $manifest = "$root/{$child['manifest']}";
                $xml = is_file($manifest) ? @simplexml_load_file($manifest) : false;
                if ($xml === false || !isset($xml->update->schemas)) {
                    continue;
                }
                $sets[] = SchemaSet::fromManifest("$name/{$child['element']}", [
                    'type' => $child['type'], 'element' => $child['element'], 'folder' => $child['folder'], 'client_id' => $child['client_id'],
                ], $manifest, "$root/{$child['root']}");
            }
        }
        return $sets;
    }

    /**
     * Installs extension packages into the unpacked, not yet bootstrapped release $dir with
     * Joomla's own CLI installer, then records them. The installer runs as the caller (root: the
     * files are root's, like the rest of the release) against a throwaway database built from the
     * install SQL of $dist (the package as published) through a throwaway MySQL account; both are
     * dropped afterwards, as is the temporary configuration.php that named them.
     *
     * @param array<string, array{file: string, sha512: string}> $packages platform name => package file and its checksum
     * @param callable(string): void $log
     */
    public static function install(Paths $paths, string $dir, string $dist, array $packages, callable $log): void
    {
        $dir = rtrim($dir, '/');
        if (file_exists("$dir/defines.php") || file_exists("$dir/mokowaas")) {
            throw new UserError("$dir is already bootstrapped: install extensions into a freshly unpacked release, before `release bootstrap`");
        }
        if (file_exists("$dir/configuration.php")) {
            throw new UserError("$dir/configuration.php exists: install extensions into a freshly unpacked release");
        }
        foreach ($packages as $name => $p) {
            if (!preg_match(self::NAME, $name)) {
                throw new UserError("extension name \"$name\" must be a lowercase letter, then up to 63 of a-z, 0-9, _ and -", ExitCode::USAGE);
            }
            if (!is_file($p['file'])) {
                throw new UserError("extension $name: package file {$p['file']} does not exist");
            }
            if (!preg_match('/^[0-9a-f]{128}\z/', $p['sha512']) || !hash_equals($p['sha512'], (string) hash_file('sha512', $p['file']))) {
                throw new UserError("extension $name: {$p['file']} does not match its SHA-512 " . $p['sha512']);
            }
        }
        $config = PlatformConfig::load($paths);
        $admin = Db::admin($config);
        $scratch = 'mokowaas_ext_' . bin2hex(random_bytes(4));
        $work = sys_get_temp_dir() . '/mokowaas-ext-' . bin2hex(random_bytes(6));
        $cache = "$dir/administrator/cache";
        $cached = glob("$cache/*") ?: [];
        $account = null;
        $recorded = [];
        try {
            $admin->exec('CREATE DATABASE ' . Db::ident($scratch) . ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
            $db = Db::admin($config, $scratch);
            $db->joomlaSqlMode();
            Blueprint::applyInstallSql($db, $dist, self::PREFIX);
            $db->close();
            $account = MysqlTempAccount::create($admin, $scratch, 'mkext_');
            foreach (['', '/tmp', '/logs'] as $sub) {
                if (!mkdir("$work$sub", 0700)) {
                    throw new \RuntimeException("cannot create $work$sub");
                }
            }
            $values = ['dbtype' => 'mysqli', 'host' => MysqlTempAccount::joomlaHost($config), 'user' => $account->user, 'password' => $account->password,
                'db' => $scratch, 'dbprefix' => self::PREFIX, 'tmp_path' => "$work/tmp", 'log_path' => "$work/logs",
                'secret' => bin2hex(random_bytes(16)), 'sitename' => 'MokoWaaS release build'];
            // Joomla's CLI reads JPATH_CONFIGURATION/configuration.php, which is the release root before the bootstrap.
            AtomicFile::write("$dir/configuration.php", "<?php\n" . JoomlaConfig::declaration($values), 0600);
            $before = self::packageManifests($dir);
            foreach ($packages as $name => $p) {
                $log("installing extension $name with Joomla's installer");
                // The release is read by every tenant's user: Joomla's files get the release's modes (the CLI's own umask is 027).
                $umask = umask(0022);
                try {
                    [$code, $out] = Exec::capture([PHP_BINARY, "$dir/cli/joomla.php", 'extension:install', '--path=' . $p['file'], '-n'], $dir);
                } finally {
                    umask($umask);
                }
                if ($code !== 0) {
                    throw new UserError("Joomla's installer failed for extension $name ({$p['file']}): " . trim(substr($out, -2000)), ExitCode::FAILED);
                }
                $after = self::packageManifests($dir);
                $new = array_values(array_diff($after, $before));
                if (count($new) !== 1) {
                    throw new UserError("extension $name: {$p['file']} is not a Joomla package (pkg_*): Joomla installed it, but no package manifest appeared in administrator/manifests/packages");
                }
                $recorded[$name] = self::describe($dir, $new[0], $p['sha512']);
                $before = $after;
            }
        } finally {
            @unlink("$dir/configuration.php");
            // What the build's Joomla cached for itself (its namespace map): each tenant has its own cache.
            foreach (array_diff(glob("$cache/*") ?: [], $cached) as $file) {
                Exec::run(['rm', '-rf', '--', $file], "removing the build's cache file $file");
            }
            $account?->drop();
            try {
                $admin->exec('DROP DATABASE IF EXISTS ' . Db::ident($scratch));
            } catch (\Throwable) { // @mago-expect lint:no-empty-catch-clause
                // Best-effort cleanup in a finally: a leftover randomly named scratch database harms nothing.
            }
            if (is_dir($work)) {
                Exec::run(['rm', '-rf', '--', $work], 'removing the installer\'s scratch folder');
            }
        }
        if (!is_dir("$dir/mokowaas") && !mkdir("$dir/mokowaas", 0755)) {
            throw new \RuntimeException("cannot create $dir/mokowaas");
        }
        AtomicFile::write("$dir/" . self::FILE, json_encode(['extensions' => $recorded], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n", 0644);
    }

    /** @return list<string> package manifests (pkg_*.xml) in the release */
    private static function packageManifests(string $dir): array
    {
        return array_map('basename', glob("$dir/administrator/manifests/packages/pkg_*.xml") ?: []);
    }

    /**
     * A package as installed: element, version and each child extension with its manifest and the
     * folder its schemapath is relative to (Joomla's own layout per extension type).
     *
     * @return array{package: string, version: string, sha512: string, children: list<array{type: string, element: string, folder: string, client_id: int, manifest: string, root: string}>}
     */
    private static function describe(string $dir, string $manifestFile, string $sha512): array
    {
        $xml = simplexml_load_file("$dir/administrator/manifests/packages/$manifestFile");
        if ($xml === false) {
            throw new \RuntimeException("$manifestFile is not valid XML");
        }
        $children = [];
        foreach ($xml->files->file ?? [] as $f) {
            $type = (string) $f['type'];
            $element = (string) $f['id'];
            $client = in_array((string) $f['client'], ['administrator', 'admin', '1'], true) ? 1 : 0;
            $folder = $type === 'plugin' ? (string) $f['group'] : '';
            [$root, $manifest] = match ($type) {
                'module' => [($client === 1 ? 'administrator/' : '') . "modules/$element", "$element.xml"],
                'plugin' => ["plugins/$folder/$element", "$element.xml"],
                'component' => ["administrator/components/$element", substr($element, 4) . '.xml'],
                'template' => [($client === 1 ? 'administrator/' : '') . "templates/$element", 'templateDetails.xml'],
                'library' => ["libraries/$element", "../../administrator/manifests/libraries/$element.xml"],
                'file' => ['', "administrator/manifests/files/$element.xml"],
                default => throw new UserError("package $manifestFile: child extension type \"$type\" of $element is not supported by the platform"),
            };
            if ($type === 'component') {
                $client = 1;
            }
            $path = $root === '' ? $manifest : (str_starts_with($manifest, '../../') ? substr($manifest, 6) : "$root/$manifest");
            $children[] = ['type' => $type, 'element' => $element, 'folder' => $folder, 'client_id' => $client, 'manifest' => $path, 'root' => $root];
        }
        return ['package' => substr($manifestFile, 0, -4), 'version' => (string) $xml->version, 'sha512' => $sha512, 'children' => $children];
    }
}
