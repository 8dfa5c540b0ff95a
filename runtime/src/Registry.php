<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * The server's materialized tenant registry, written only through this class (`mokowaas registry`,
 * `tenant seed`, `offboard`...). Layout under $ROOT/etc/mokowaas/registry (folders 0711 root: every
 * pool may pass through, nobody but root may list):
 *   tenants/<tenant>.php  one entry per tenant, with secrets (0640 root:<tenant's group>)
 *   hosts.php             the compiled host map (see HostMap), no secrets (0644: every pool reads it)
 *   hosts/<host>.php      one per served host (dev once ready, production once also online): that
 *                         host's compiled JConfig and cache folder, what the bootstrap's fast path
 *                         reads instead of the map and the entry (secrets: 0640 root:<tenant's group>)
 *   .lock                 every write holds it; files are replaced by write + rename
 * Each tenant also gets its own Unix user and group (TenantAccount), its folders owned by it, and
 * its own PHP-FPM pool (TenantPool) with one link per served host to the pool's socket, which is
 * how Caddy sends a host's requests to its tenant's pool. Write order is entry, per-host files,
 * pool, host map, media links, pool links (removal: per-host files and pool links first, so a host
 * stops serving before anything else goes): a run that dies half-way leaves state that the same
 * command, run again, completes; `registry rebuild` recompiles everything from the entries, and
 * converts a server whose tenants shared one pool.
 */
final class Registry
{
    /** maintenance: an upgrade is under way (`mokowaas upgrade`); its hosts answer 503 "maintenance". */
    public const STATES = ['provisioning', 'ready', 'offboarding', 'maintenance'];
    /** runtime/rules.json's tenant name, shared with the control plane and the release's Tenant. */
    public const TENANT_NAME = Rules::TENANT_NAME;
    /**
     * Per-tenant folders under Paths::tenant(), owned by the tenant's user, and their modes: media
     * (and its subfolders) belong to the web server's group, set-gid, because Caddy serves it.
     */
    public const FOLDERS = ['cache' => 0750, 'tmp' => 0750, 'logs' => 0750, 'sessions' => 0700, 'config' => 0700, 'media' => 02750];
    /** Media subfolders Joomla's local filesystem plugin is pointed at (set in each tenant's database). */
    public const MEDIA_DIRS = ['images', 'files'];
    private const LOCK_WAIT_SECONDS = 60;


    private ?TenantPool $pools = null;
    private ?Releases $releases = null;

    public function __construct(private readonly Paths $paths)
    {
    }

    /** The full entry, secrets included, or null when the tenant has none. */
    public function get(string $tenant): ?array
    {
        self::assertTenantName($tenant);
        $file = $this->paths->registryEntry($tenant);
        if (!is_file($file)) {
            return null;
        }
        $entry = (static fn (string $f): mixed => include $f)($file);
        if (!is_array($entry) || ($entry['tenant'] ?? null) !== $tenant) {
            throw new \RuntimeException("$file is not the registry entry of $tenant");
        }
        return $entry;
    }

    /**
     * Validates and stores one entry: entry file, host map and folders. A new tenant starts in
     * state "provisioning"; an existing entry keeps its state. Throws UserError and changes nothing
     * when the entry is invalid or names a host another tenant holds.
     */
    public function put(array $entry): void
    {
        $problems = self::validate($entry);
        if ($problems !== []) {
            throw new UserError(self::describe($entry, $problems));
        }
        $tenant = $entry['tenant'];
        $this->withLock(function () use ($entry, $tenant): void {
            $map = HostMap::load($this->paths->hostMap());
            $taken = [];
            foreach (HostMap::hostsOf($entry) as $host) {
                $owner = $map->owner($host);
                if ($owner !== null && $owner !== $tenant) {
                    $taken[] = "hosts: \"$host\" belongs to tenant $owner (remove it there first)";
                }
            }
            if ($taken !== []) {
                throw new UserError(self::describe($entry, $taken));
            }
            $old = $this->get($tenant);
            $entry['state'] = $old['state'] ?? 'provisioning';
            // Server-managed like the state: a new tenant is pinned to `current`, an existing one keeps its release.
            $release = $old['release'] ?? $this->releases()->currentId();
            if ($release !== null) {
                $entry['release'] = $release;
            }
            $account = $this->account($tenant);
            $this->createFolders($tenant, $account);
            $this->store($entry, $old, $map, $account);
        });
    }

    /**
     * Removes the tenant's hosts from the host map, its media and pool links, its entry and its
     * PHP-FPM pool. Folders and the Unix user stay (offboard removes them).
     */
    public function remove(string $tenant): void
    {
        self::assertTenantName($tenant);
        $this->withLock(function () use ($tenant): void {
            $old = $this->get($tenant);
            if ($old !== null) {
                $this->syncHostFiles(null, $old, null);
                $this->syncPoolLinks(null, $old);
                $this->syncReleaseLinks(null, $old);
            }
            $map = HostMap::load($this->paths->hostMap())->withoutTenant($tenant);
            $this->writeMap($map);
            if ($old !== null) {
                $this->syncMediaLinks(null, $old);
            }
            $file = $this->paths->registryEntry($tenant);
            if (is_file($file) && !unlink($file)) {
                throw new \RuntimeException("cannot remove $file");
            }
            if (posix_geteuid() === 0) {
                $this->pools()->remove($tenant);
            }
        });
    }

    /**
     * Pins the tenant to release $id (a folder under releases/; `mokowaas upgrade` checks it is
     * servable): its served hosts' release links follow at once.
     */
    public function setRelease(string $tenant, string $id): void
    {
        self::assertTenantName($tenant);
        $this->releases()->dir($id);
        $this->withLock(function () use ($tenant, $id): void {
            $old = $this->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
            $entry = $old;
            $entry['release'] = $id;
            $this->store($entry, $old, HostMap::load($this->paths->hostMap()), $this->account($tenant));
        });
    }

    /** Runs $fn holding the registry lock (other classes that must see no registry write meanwhile: `release rm`). */
    public function locked(callable $fn): void
    {
        $this->withLock($fn);
    }

    /** Sets the server-side state: provisioning, ready, maintenance, or offboarding (out of the host map). */
    public function setState(string $tenant, string $state): void
    {
        self::assertTenantName($tenant);
        if (!in_array($state, self::STATES, true)) {
            throw new UserError("state \"$state\" is not one of " . implode(', ', self::STATES));
        }
        $this->withLock(function () use ($tenant, $state): void {
            $old = $this->get($tenant);
            if ($old === null) {
                throw new UserError("tenant $tenant has no registry entry: run `mokowaas registry put $tenant` first", ExitCode::NOT_READY);
            }
            $entry = $old;
            $entry['state'] = $state;
            $this->store($entry, $old, HostMap::load($this->paths->hostMap()), $this->account($tenant));
        });
    }

    /**
     * Every entry without its secrets (db.password, secret), sorted by tenant.
     *
     * @return list<array<string, mixed>>
     */
    public function list(): array
    {
        $out = [];
        foreach ($this->tenants() as $tenant) {
            $entry = $this->get($tenant);
            if ($entry !== null) {
                $out[] = self::withoutSecrets($entry);
            }
        }
        return $out;
    }

    /** @return list<string> tenants that have an entry, sorted */
    public function tenants(): array
    {
        $names = [];
        foreach (glob($this->paths->registryEntries() . '/*.php') ?: [] as $file) {
            $name = basename($file, '.php');
            if (preg_match(self::TENANT_NAME, $name)) {
                $names[] = $name;
            }
        }
        sort($names, SORT_STRING);
        return $names;
    }

    public function tenantDir(string $tenant): string
    {
        self::assertTenantName($tenant);
        return $this->paths->tenant($tenant);
    }

    /**
     * Recompiles everything from the entry files (repair after a crash or a hand edit, and the
     * conversion of a server whose tenants shared one pool): each tenant's user, folders, files,
     * pool and links; host map; orphan per-host files, links and pools removed. Fails without
     * writing when two entries claim one host.
     */
    public function rebuild(): void
    {
        $this->withLock(function (): void {
            $map = HostMap::empty();
            $entries = [];
            foreach ($this->tenants() as $tenant) {
                $entry = $this->get($tenant);
                if ($entry === null) {
                    continue;
                }
                // An entry from before release pins is pinned to what serves it today.
                if (!isset($entry['release']) && ($current = $this->releases()->currentId()) !== null) {
                    $entry['release'] = $current;
                }
                foreach (HostMap::hostsOf($entry) as $host) {
                    $owner = $map->owner($host);
                    if ($owner !== null && $owner !== $tenant) {
                        throw new UserError("host \"$host\" is claimed by both $owner and $tenant: fix one entry with `mokowaas registry put`", ExitCode::FAILED);
                    }
                }
                $map = $map->withTenant($entry);
                $entries[] = $entry;
            }
            $served = [];
            foreach ($entries as $entry) {
                $account = $this->account((string) $entry['tenant']);
                // A folder of another owner (a server converted from the shared pool): whole trees move to the tenant.
                $media = $this->paths->tenant((string) $entry['tenant']) . '/media';
                $convert = $account !== null && is_dir($media) && fileowner($media) !== $account['uid'];
                $this->createFolders((string) $entry['tenant'], $account);
                if ($convert) {
                    $this->ownFolders((string) $entry['tenant']);
                }
                AtomicFile::writePhpConstant($this->paths->registryEntry($entry['tenant']), $entry, 0640, $account['name'] ?? null);
                $this->syncHostFiles($entry, $entry, $account);
                if ($account !== null) {
                    $this->pools()->put($entry, $account['name']);
                }
                $served = array_merge($served, HostMap::servedHosts($entry));
            }
            $this->removeOrphanHostFiles($served);
            if (posix_geteuid() === 0) {
                $this->pools()->removeOthers(array_map(static fn (array $e): string => (string) $e['tenant'], $entries));
            }
            $this->writeMap($map);
            foreach ($entries as $entry) {
                $this->syncMediaLinks($entry, $entry);
            }
            $this->removeOrphanLinks($this->paths->fpmHostLinks(), array_merge(
                array_map(static fn (string $h): string => "$h.sock", $served),
                array_map(static fn (string $h): string => "$h.root", $served),
            ));
            foreach ($entries as $entry) {
                $this->syncReleaseLinks($entry, $entry);
                $this->syncPoolLinks($entry, $entry);
            }
        });
    }

    /**
     * Every problem of an entry, as "field: message" (empty when it is valid). Pure: tests call it.
     *
     * @return list<string>
     */
    public static function validate(mixed $entry): array
    {
        if (!is_array($entry) || array_is_list($entry) && $entry !== []) {
            return ['(entry): must be a JSON object'];
        }
        $p = [];
        $allowed = ['tenant', 'hosts', 'online', 'db', 'secret', 'siteName', 'mail', 'comingSoon', 'backup', 'limits', 'extensions', 'holdRelease'];
        foreach (array_diff(array_keys($entry), $allowed) as $key) {
            $p[] = match ($key) {
                'state' => 'state: is set by the server (`tenant seed`, `offboard`), not by `registry put`',
                'release' => 'release: is set by the server (`current` for a new tenant, then `mokowaas upgrade`), not by `registry put`',
                default => "$key: unknown field (allowed: " . implode(', ', $allowed) . ')',
            };
        }
        $str = static fn (mixed $v, int $max = 255): bool => is_string($v) && $v !== '' && strlen($v) <= $max;

        if (!is_string($entry['tenant'] ?? null) || !preg_match(self::TENANT_NAME, $entry['tenant'])) {
            $p[] = 'tenant: must be ' . Rules::TENANT_NAME_MEANS;
        }

        $hosts = $entry['hosts'] ?? null;
        if (!is_array($hosts)) {
            $p[] = 'hosts: must be an object {"dev", "production", "aliases"}';
        } else {
            foreach (array_diff(array_keys($hosts), ['dev', 'production', 'aliases']) as $key) {
                $p[] = "hosts.$key: unknown field (allowed: dev, production, aliases)";
            }
            $all = [];
            foreach (['dev', 'production'] as $role) {
                $h = $hosts[$role] ?? null;
                if (!is_string($h)) {
                    $p[] = "hosts.$role: is required (a host name)";
                } elseif (($why = Host::problem($h)) !== null) {
                    $p[] = "hosts.$role: $why";
                } else {
                    $all[] = $h;
                }
            }
            $aliases = $hosts['aliases'] ?? [];
            if (!is_array($aliases) || !array_is_list($aliases)) {
                $p[] = 'hosts.aliases: must be a list of host names';
            } else {
                foreach ($aliases as $i => $a) {
                    if (!is_string($a)) {
                        $p[] = "hosts.aliases[$i]: must be a host name";
                    } elseif (($why = Host::problem($a)) !== null) {
                        $p[] = "hosts.aliases[$i]: $why";
                    } else {
                        $all[] = $a;
                    }
                }
            }
            foreach (array_unique(array_diff_assoc($all, array_unique($all))) as $dup) {
                $p[] = "hosts: \"$dup\" is named more than once";
            }
        }

        if (!is_bool($entry['online'] ?? null)) {
            $p[] = 'online: is required (true or false)';
        }

        $db = $entry['db'] ?? null;
        if (!is_array($db)) {
            $p[] = 'db: must be an object {"host", "port", "name", "user", "password", "prefix"}';
        } else {
            foreach (array_diff(array_keys($db), ['host', 'port', 'name', 'user', 'password', 'prefix']) as $key) {
                $p[] = "db.$key: unknown field (allowed: host, port, name, user, password, prefix)";
            }
            if (!$str($db['host'] ?? null) || !preg_match('/^[A-Za-z0-9.:-]+\z/', $db['host'])) {
                $p[] = 'db.host: must be a host name or IP address';
            }
            if (!is_int($db['port'] ?? null) || $db['port'] < 1 || $db['port'] > 65535) {
                $p[] = 'db.port: must be a TCP port number (1-65535)';
            }
            if (!is_string($db['name'] ?? null) || !preg_match('/^[A-Za-z0-9_]{1,64}\z/', $db['name'])) {
                $p[] = 'db.name: must be 1 to 64 of A-Z, a-z, 0-9 and "_"';
            }
            if (!is_string($db['user'] ?? null) || !preg_match('/^[A-Za-z0-9_.-]{1,80}\z/', $db['user'])) {
                $p[] = 'db.user: must be 1 to 80 of A-Z, a-z, 0-9, ".", "-" and "_"';
            }
            if (!$str($db['password'] ?? null, 1024)) {
                $p[] = 'db.password: is required (a non-empty string)';
            }
            if (!is_string($db['prefix'] ?? null) || !preg_match('/^[A-Za-z][A-Za-z0-9]{0,14}_\z/', $db['prefix'])) {
                $p[] = 'db.prefix: must be a letter, up to 14 letters or digits, and "_" (e.g. "jos_")';
            }
        }

        if (array_key_exists('extensions', $entry)) {
            $ext = $entry['extensions'];
            if (!is_array($ext) || !array_is_list($ext)) {
                $p[] = 'extensions: must be a list of extension names';
            } else {
                foreach ($ext as $i => $name) {
                    if (!is_string($name) || !preg_match(ReleaseExtensions::NAME, $name)) {
                        $p[] = "extensions[$i]: must be an extension name (a lowercase letter, then a-z, 0-9, _ and -)";
                    }
                }
                if (count($ext) !== count(array_unique(array_map('strval', array_filter($ext, 'is_string'))))) {
                    $p[] = 'extensions: names an extension more than once';
                }
            }
        }

        if (!is_string($entry['secret'] ?? null) || strlen($entry['secret']) < 8 || strlen($entry['secret']) > 1024) {
            $p[] = 'secret: is required (8 to 1024 characters, different for every tenant)';
        }
        if (array_key_exists('holdRelease', $entry) && (!is_string($entry['holdRelease']) || !preg_match(Releases::ID, $entry['holdRelease']) || str_contains($entry['holdRelease'], '..'))) {
            $p[] = 'holdRelease: must be a release id such as joomla-6.0.4 (the release the tenant is held on)';
        }
        if (!$str($entry['siteName'] ?? null, 200)) {
            $p[] = 'siteName: is required (1 to 200 characters)';
        }

        $mail = $entry['mail'] ?? null;
        if (!is_array($mail)) {
            $p[] = 'mail: must be an object {"from", "fromName"}';
        } else {
            foreach (array_diff(array_keys($mail), ['from', 'fromName']) as $key) {
                $p[] = "mail.$key: unknown field (allowed: from, fromName)";
            }
            if (!is_string($mail['from'] ?? null) || !preg_match('/^[^@\s]+@[^@\s]+\.[^@\s]+\z/', $mail['from'])) {
                $p[] = 'mail.from: must be an e-mail address';
            }
            if (!$str($mail['fromName'] ?? null, 200)) {
                $p[] = 'mail.fromName: is required (1 to 200 characters)';
            }
        }

        if (array_key_exists('comingSoon', $entry)) {
            $cs = $entry['comingSoon'];
            if (!is_array($cs) || (array_is_list($cs) && $cs !== [])) {
                $p[] = 'comingSoon: must be an object {"title", "message"}';
            } else {
                foreach (array_diff(array_keys($cs), ['title', 'message']) as $key) {
                    $p[] = "comingSoon.$key: unknown field (allowed: title, message)";
                }
                foreach (['title' => 200, 'message' => 2000] as $key => $max) {
                    if (array_key_exists($key, $cs) && !$str($cs[$key], $max)) {
                        $p[] = "comingSoon.$key: must be 1 to $max characters";
                    }
                }
            }
        }

        if (array_key_exists('limits', $entry)) {
            $limits = $entry['limits'];
            $rules = TenantPool::limitRules();
            if (!is_array($limits) || (array_is_list($limits) && $limits !== [])) {
                $p[] = 'limits: must be an object {' . implode(', ', array_keys($rules)) . '}';
            } else {
                foreach ($limits as $key => $n) {
                    if (!isset($rules[$key])) {
                        $p[] = "limits.$key: unknown field (allowed: " . implode(', ', array_keys($rules)) . ')';
                    } elseif (!is_int($n) || $n < $rules[$key]['min'] || $n > $rules[$key]['max']) {
                        $p[] = "limits.$key: must be a whole number from {$rules[$key]['min']} to {$rules[$key]['max']}";
                    }
                }
            }
        }

        if (array_key_exists('backup', $entry)) {
            $keep = is_array($entry['backup']) ? ($entry['backup']['keep'] ?? []) : null;
            if (!is_array($entry['backup']) || array_diff(array_keys($entry['backup']), ['keep']) !== [] || !is_array($keep)) {
                $p[] = 'backup: must be an object {"keep": {"daily", "weekly", "monthly"}}';
            } else {
                foreach ($keep as $key => $n) {
                    if (!in_array($key, ['daily', 'weekly', 'monthly'], true)) {
                        $p[] = "backup.keep.$key: unknown field (allowed: daily, weekly, monthly)";
                    } elseif (!is_int($n) || $n < 0 || $n > 1000) {
                        $p[] = "backup.keep.$key: must be a whole number from 0 to 1000";
                    }
                }
            }
        }
        return $p;
    }

    /** @return array<string, mixed> the entry without db.password and secret */
    public static function withoutSecrets(array $entry): array
    {
        unset($entry['db']['password'], $entry['secret']);
        return $entry;
    }

    public static function assertTenantName(string $tenant): void
    {
        if (!preg_match(self::TENANT_NAME, $tenant)) {
            throw new UserError("\"$tenant\" is not a tenant name (" . Rules::TENANT_NAME_MEANS . ')');
        }
    }

    /** @param list<string> $problems */
    private static function describe(mixed $entry, array $problems): string
    {
        $name = is_array($entry) && is_string($entry['tenant'] ?? null) ? $entry['tenant'] : '?';
        return "invalid registry entry for tenant $name (nothing was changed):\n  " . implode("\n  ", $problems);
    }

    /**
     * Writes entry, per-host files, pool, host map, media links, release links and pool links, in
     * that order (Caddy sends a host to its pool only once its pool link exists, so its release
     * link is there first).
     *
     * @param array{name: string, uid: int, gid: int}|null $account the tenant's Unix user (null when not root)
     */
    private function store(array $entry, ?array $old, HostMap $map, ?array $account): void
    {
        $this->ensureRegistryDirs();
        AtomicFile::writePhpConstant($this->paths->registryEntry($entry['tenant']), $entry, 0640, $account['name'] ?? null);
        $this->syncHostFiles($entry, $old, $account);
        if ($account !== null) {
            $this->pools()->put($entry, $account['name']);
            TenantSlice::put((string) $entry['tenant'], $entry);
        }
        $this->writeMap($map->withTenant($entry));
        $this->syncMediaLinks($entry, $old);
        $this->syncReleaseLinks($entry, $old);
        $this->syncPoolLinks($entry, $old);
    }

    private function writeMap(HostMap $map): void
    {
        $this->ensureRegistryDirs();
        // No secrets: the platform pool (unknown, alias, offline hosts) and every tenant pool read it.
        AtomicFile::writePhpConstant($this->paths->hostMap(), $map->toArray(), 0644);
    }

    /**
     * One compiled file per served host (Paths::hostFile): `class JConfig` with the tenant's values
     * for that host's role (its constructor adds the tenant's own settings, JoomlaConfig::settingsConstructor), and the row the bootstrap's fast path needs. Files of hosts the entry
     * no longer serves (or of the old entry) go. Aliases, offline production and tenants that are
     * not ready have none: the bootstrap answers those through the host map.
     */
    /** @param array{name: string, uid: int, gid: int}|null $account */
    private function syncHostFiles(?array $entry, ?array $old, ?array $account): void
    {
        $this->ensureRegistryDirs();
        $served = $entry === null ? [] : HostMap::servedHosts($entry);
        $named = array_unique(array_merge($entry === null ? [] : HostMap::hostsOf($entry), $old === null ? [] : HostMap::hostsOf($old)));
        foreach ($named as $host) {
            $file = $this->paths->hostFile($host);
            if (!in_array($host, $served, true)) {
                if (is_file($file) && !unlink($file)) {
                    throw new \RuntimeException("cannot remove $file");
                }
                continue;
            }
            $role = $host === $entry['hosts']['dev'] ? 'dev' : 'production';
            $tenant = (string) $entry['tenant'];
            $dir = $this->paths->tenant($tenant);
            $config = "$dir/" . JoomlaConfig::DIR;
            $row = ['tenant' => $tenant, 'role' => $role, 'cache' => "$dir/cache", 'config' => $config];
            $code = "<?php\n// Written by mokowaas (registry) for $host, tenant $tenant; do not edit. Holds secrets.\n"
                . "if (!\\class_exists('JConfig', false)) {\n"
                . JoomlaConfig::declaration(JoomlaConfig::forTenant($entry, $role, $dir), JoomlaConfig::settingsConstructor($role), '    ')
                . "}\n\nreturn " . var_export($row, true) . ";\n";
            // Unchanged files stay as they are: no write, no recompile in every PHP-FPM worker.
            $group = $account['name'] ?? null;
            if (is_file($file) && (fileperms($file) & 0777) === 0640 && ($account === null || filegroup($file) === $account['gid'])
                && file_get_contents($file) === $code) {
                continue;
            }
            AtomicFile::write($file, $code, 0640, $group);
        }
    }

    /** @param list<string> $served removes per-host files of every other host (after a crash or a hand edit) */
    private function removeOrphanHostFiles(array $served): void
    {
        $keep = array_flip(array_map(fn (string $h): string => $this->paths->hostFile($h), $served));
        foreach (glob($this->paths->hostFiles() . '/*.php') ?: [] as $file) {
            if (!isset($keep[$file]) && !unlink($file)) {
                throw new \RuntimeException("cannot remove $file");
            }
        }
    }

    /**
     * One link per served host, $ROOT/srv/mokowaas/hosts/<host> -> ../tenants/<tenant>/media; links of
     * hosts the entry no longer serves (or of the old entry) go.
     */
    private function syncMediaLinks(?array $entry, ?array $old): void
    {
        $this->syncLinks($this->paths->mediaHosts(), '', $entry, $old, fn (array $e): string => '../tenants/' . $e['tenant'] . '/media');
    }

    /**
     * One link per served host, $ROOT/var/lib/mokowaas/fpm-hosts/<host>.sock -> the tenant pool's
     * socket: Caddy sends the host's requests there (runtime/caddy/Caddyfile). Only as root: a
     * tenant pool exists only where the CLI could create its user.
     */
    private function syncPoolLinks(?array $entry, ?array $old): void
    {
        if (posix_geteuid() !== 0) {
            return;
        }
        $this->syncLinks($this->paths->fpmHostLinks(), '.sock', $entry, $old, fn (array $e): string => $this->pools()->socket((string) $e['tenant']));
    }

    /**
     * One link per served host, $ROOT/var/lib/mokowaas/fpm-hosts/<host>.root -> the folder of the
     * release the tenant is pinned to (Releases): Caddy's document root for the host's requests to
     * its pool (runtime/caddy/Caddyfile), so each tenant runs its own release.
     */
    private function syncReleaseLinks(?array $entry, ?array $old): void
    {
        $serve = $entry !== null && $this->releases()->idOf($entry) !== null ? $entry : null;
        $this->syncLinks($this->paths->fpmHostLinks(), '.root', $serve, $old ?? $entry, fn (array $e): string => $this->releases()->dirOf($e));
    }

    /**
     * Links named <host><suffix> in $dir for the entry's served hosts, pointing where $target says;
     * links of hosts the entry no longer serves (or of the old entry) go.
     *
     * @param callable(array): string $target
     */
    private function syncLinks(string $dir, string $suffix, ?array $entry, ?array $old, callable $target): void
    {
        $this->ensureDir($dir, 0711, null);
        $served = $entry === null ? [] : HostMap::servedHosts($entry);
        $named = array_unique(array_merge($entry === null ? [] : HostMap::hostsOf($entry), $old === null ? [] : HostMap::hostsOf($old)));
        foreach ($named as $host) {
            $link = "$dir/$host$suffix";
            if (!in_array($host, $served, true)) {
                if (is_link($link) && !unlink($link)) {
                    throw new \RuntimeException("cannot remove $link");
                }
                continue;
            }
            $to = $target($entry);
            if (is_link($link) && readlink($link) === $to) {
                continue;
            }
            $tmp = "$dir/.$host." . bin2hex(random_bytes(4));
            if (!symlink($to, $tmp) || !rename($tmp, $link)) {
                @unlink($tmp);
                throw new \RuntimeException("cannot link $link to $to");
            }
        }
    }

    /** @param list<string> $keep link names that stay in $dir; every other link goes */
    private function removeOrphanLinks(string $dir, array $keep): void
    {
        foreach (is_dir($dir) ? (scandir($dir) ?: []) : [] as $name) {
            if (is_link("$dir/$name") && !in_array($name, $keep, true) && !unlink("$dir/$name")) {
                throw new \RuntimeException("cannot remove $dir/$name");
            }
        }
    }

    /**
     * The tenant folder (root:<tenant's group> 0751: the tenant lists it, the web server only
     * passes through to media) and cache, tmp, logs, sessions and media (with images, files)
     * inside it, owned by the tenant's user; media's group is the web server's. Not as root:
     * the folders only (no users to give them to).
     *
     * @param array{name: string, uid: int, gid: int}|null $account
     */
    private function createFolders(string $tenant, ?array $account): void
    {
        $this->ensureDir($this->paths->srv(), 0755, null);
        // Traversable, not listable: no tenant learns the others' names from here.
        $this->ensureDir($this->paths->tenants(), 0711, null);
        $base = $this->paths->tenant($tenant);
        $this->ensureDir($base, 0751, $account['name'] ?? null, 'root', $account !== null);
        $web = $account !== null ? $this->pools()->webGroup() : null;
        foreach (self::FOLDERS as $name => $mode) {
            $this->ensureDir("$base/$name", $mode, $name === 'media' ? $web : ($account['name'] ?? null), $account['name'] ?? null, $account !== null);
        }
        foreach (self::MEDIA_DIRS as $name) {
            $this->ensureDir("$base/media/$name", 02750, $web, $account['name'] ?? null, $account !== null);
        }
        $this->createTenantConfiguration($base . JoomlaConfig::TENANT_FILE, $account);
    }

    /**
     * The tenant's own configuration.php, with no settings yet, so its first request takes the fast
     * path. Never touched once there: it is the tenant's (Global Configuration writes it). Created
     * with O_EXCL ('x'), which also refuses to follow a link the tenant may have put in its place.
     *
     * @param array{name: string, uid: int, gid: int}|null $account
     */
    private function createTenantConfiguration(string $file, ?array $account): void
    {
        if (file_exists($file) || is_link($file)) {
            return;
        }
        $h = @fopen($file, 'x');
        if ($h === false) {
            throw new \RuntimeException("cannot create $file");
        }
        $code = JoomlaConfig::settingsSource([]);
        $ok = fwrite($h, $code) === strlen($code) && fflush($h);
        fclose($h);
        if (!$ok || !chmod($file, 0600) || ($account !== null && (!chown($file, $account['uid']) || !chgrp($file, $account['gid'])))) {
            throw new \RuntimeException("cannot write $file");
        }
    }

    /**
     * Gives the tenant's folders (their whole trees) back to its user, e.g. after a restore or a
     * clone copied files of another owner in: symbolic links are changed themselves, never followed.
     */
    public function ownFolders(string $tenant): void
    {
        $account = $this->account($tenant);
        if ($account === null) {
            return;
        }
        $base = $this->paths->tenant($tenant);
        foreach (array_keys(self::FOLDERS) as $name) {
            $group = $name === 'media' ? $this->pools()->webGroup() : $account['name'];
            if (is_dir("$base/$name") && !is_link("$base/$name")) {
                Exec::run(['chown', '-hR', "{$account['name']}:$group", '--', "$base/$name"]);
            }
        }
    }

    private function ensureRegistryDirs(): void
    {
        // Every pool passes through to the files it may read; only root lists.
        $this->ensureDir($this->paths->etc(), 0711, null);
        $this->ensureDir($this->paths->registry(), 0711, null);
        $this->ensureDir($this->paths->registryEntries(), 0711, null);
        $this->ensureDir($this->paths->hostFiles(), 0711, null);
    }

    /**
     * Creates $dir if missing; as root, sets mode, group and owner even if it existed. With
     * $strict, a symbolic link where the folder should be is refused: inside a tenant's folder
     * its own user could have put one there, and chown follows links.
     */
    private function ensureDir(string $dir, int $mode, ?string $group, ?string $owner = null, bool $strict = false): void
    {
        if ($strict && is_link($dir)) {
            throw new UserError("$dir is a symbolic link, not the folder it should be: remove it and run this again", ExitCode::REFUSED);
        }
        Dirs::make($dir, $mode);
        if (posix_geteuid() !== 0) {
            return;
        }
        if ($owner !== null && !chown($dir, $owner)) {
            throw new \RuntimeException("cannot give $dir to user $owner");
        }
        if ($group !== null && !chgrp($dir, $group)) {
            throw new \RuntimeException("cannot give $dir to group $group");
        }
        // After chown, which clears set-gid.
        if ((fileperms($dir) & 07777) !== $mode) {
            chmod($dir, $mode);
        }
    }

    /** Runs $fn holding the registry lock; waits up to a minute for another writer. */
    private function withLock(callable $fn): void
    {
        $this->ensureDir($this->paths->etc(), 0711, null);
        $this->ensureDir($this->paths->registry(), 0711, null);
        $lock = fopen($this->paths->registryLock(), 'c');
        if ($lock === false) {
            throw new \RuntimeException('cannot open ' . $this->paths->registryLock());
        }
        try {
            $until = microtime(true) + self::LOCK_WAIT_SECONDS;
            while (!flock($lock, LOCK_EX | LOCK_NB)) {
                if (microtime(true) > $until) {
                    throw new UserError('the registry is locked by another run for over ' . self::LOCK_WAIT_SECONDS . ' s: retry later', ExitCode::LOCKED);
                }
                usleep(random_int(5_000, 20_000));
            }
            clearstatcache();
            $fn();
        } finally {
            flock($lock, LOCK_UN);
            fclose($lock);
        }
    }

    /** The tenant's Unix user, created when missing; null when not root (no user can be made). */
    private function account(string $tenant): ?array
    {
        return posix_geteuid() === 0 ? (new TenantAccount($this->paths))->ensure($tenant) : null;
    }

    private function releases(): Releases
    {
        return $this->releases ??= new Releases($this->paths);
    }

    private function pools(): TenantPool
    {
        return $this->pools ??= new TenantPool($this->paths, PlatformConfig::load($this->paths));
    }
}
