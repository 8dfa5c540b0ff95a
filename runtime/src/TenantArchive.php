<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * One Borg archive per tenant and run: `<tenant>-<UTC time>` (nightly) or `<tenant>-<tag>-<UTC time>`
 * (`final` at offboarding, `pre-restore` before a restore, or --tag). It holds, relative to the
 * tenant folder:
 *   .backup/db.sql         consistent dump (mysqldump --single-transaction)
 *   .backup/entry.php      the registry entry (secrets: for disaster recovery only)
 *   .backup/manifest.json  tenant, tag, time, database name, prefix and table count
 *   media/                 the tenant's media (cache, tmp, logs and sessions are never archived)
 *   config/                the tenant's own Global Configuration (JoomlaConfig::DIR), when it has one
 * The archive comment `mokowaas tenant=<t> tag=<tag>` says whose it is.
 *
 * Tenant names may hold "-" (acme, acme-shop), so `<tenant>-*` would also match another tenant's
 * archives. Untagged archives are matched with UNTAGGED_GLOB instead: the time's "T" at a fixed
 * offset (tenant names are lowercase) makes it match exactly one tenant's nightly archives; listing
 * every archive of a tenant filters `<tenant>-*` by the comment.
 */
final class TenantArchive
{
    public const TAG = '/^[a-z0-9][a-z0-9-]{0,30}\z/';
    public const DEFAULT_KEEP = ['daily' => 7, 'weekly' => 4, 'monthly' => 6];
    private const TIME = '/(\d{8}T\d{6}(?:\.\d{3})?Z)\z/';

    private readonly Borg $borg;
    private readonly Registry $registry;

    public function __construct(private readonly Paths $paths, private readonly PlatformConfig $config)
    {
        $this->borg = Borg::forPlatform($paths, $config);
        $this->registry = new Registry($paths);
    }

    public function borg(): Borg
    {
        return $this->borg;
    }

    public static function name(string $tenant, ?string $tag, ?float $now = null): string
    {
        $now ??= microtime(true);
        $time = gmdate('Ymd\THis', (int) $now) . sprintf('.%03dZ', (int) (($now - floor($now)) * 1000));
        return $tenant . '-' . ($tag !== null ? "$tag-" : '') . $time;
    }

    /** Borg pattern matching exactly the tenant's untagged archives (see the class comment). */
    public static function untaggedGlob(string $tenant): string
    {
        return $tenant . '-????????T*';
    }

    /** Unix time encoded in an archive name, or null. */
    public static function timeOf(string $archive): ?float
    {
        if (!preg_match(self::TIME, $archive, $m)) {
            return null;
        }
        $d = \DateTimeImmutable::createFromFormat('Ymd\THis.v\Z', str_contains($m[1], '.') ? $m[1] : substr($m[1], 0, -1) . '.000Z', new \DateTimeZone('UTC'));
        return $d === false ? null : (float) $d->format('U.v');
    }

    /**
     * Every archive of the tenant, oldest first.
     *
     * @return list<array{name: string, tag: ?string, time: ?float}>
     */
    public function list(string $tenant): array
    {
        return $this->byTenant($tenant . '-*')[$tenant] ?? [];
    }

    /**
     * Archives matching $glob grouped by the tenant their comment names, each oldest first (one
     * borg call for every tenant).
     *
     * @return array<string, list<array{name: string, tag: ?string, time: ?float}>>
     */
    public function byTenant(string $glob = '*'): array
    {
        $out = [];
        foreach ($this->borg->archives($glob) as $a) {
            if (!preg_match('/^mokowaas tenant=([a-z0-9-]+)(?: tag=([a-z0-9-]+))?$/', $a['comment'], $m)) {
                continue;
            }
            $out[$m[1]][] = ['name' => $a['name'], 'tag' => ($m[2] ?? '') !== '' ? $m[2] : null, 'time' => self::timeOf($a['name'])];
        }
        foreach ($out as &$list) {
            usort($list, static fn (array $x, array $y): int => ($x['time'] ?? 0) <=> ($y['time'] ?? 0));
        }
        return $out;
    }

    /**
     * The archive a restore takes by default: the newest one that is not a safety archive
     * (pre-restore), or null.
     *
     * @param list<array{name: string, tag: ?string, time: ?float}> $list oldest first
     */
    public static function newestRestorable(array $list): ?string
    {
        $candidates = array_values(array_filter($list, static fn (array $a): bool => $a['tag'] !== 'pre-restore'));
        return $candidates === [] ? null : end($candidates)['name'];
    }

    /**
     * Archives the tenant now (the caller holds the tenant lock). Returns the archive name.
     *
     * @param array<string, mixed>|null $entry defaults to the registry's
     */
    public function backup(string $tenant, ?string $tag = null, ?array $entry = null): string
    {
        if ($tag !== null && !preg_match(self::TAG, $tag)) {
            throw new UserError("tag \"$tag\" must be 1 to 31 of a-z, 0-9 and \"-\", starting with a letter or digit", ExitCode::USAGE);
        }
        $entry ??= $this->registry->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
        $dir = $this->paths->tenant($tenant);
        if (!is_dir($dir)) {
            throw new UserError("tenant folder $dir is missing: run `mokowaas registry put $tenant` again", ExitCode::NOT_READY);
        }
        $stage = "$dir/.backup";
        self::removeTree($stage);
        if (!@mkdir($stage, 0700)) {
            $why = preg_replace('/^mkdir\(\): /', '', error_get_last()['message'] ?? 'failed');
            throw new \RuntimeException("cannot create $stage: $why (" . DiskSpace::describe($dir) . ')');
        }
        $archive = self::name($tenant, $tag);
        try {
            // The table count lets a restore drill check the dump came back whole; counted by
            // MySQL, not from the dump, so a damaged dump cannot agree with itself.
            $admin = Db::admin($this->config);
            $tables = count($admin->tables((string) $entry['db']['name']));
            $admin->close();
            Mysqldump::dump($this->config->mysql(), (string) $entry['db']['name'], "$stage/db.sql");
            AtomicFile::writePhpArray("$stage/entry.php", $entry, 0600);
            AtomicFile::write("$stage/manifest.json", json_encode([
                'tenant' => $tenant, 'tag' => $tag, 'archive' => $archive, 'createdAt' => gmdate('Y-m-d\TH:i:s\Z'),
                'db' => ['name' => $entry['db']['name'], 'prefix' => $entry['db']['prefix'], 'tables' => $tables], 'media' => 'media',
            ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n", 0600);
            $paths = ['.backup'];
            if (is_dir(TenantMedia::folder($this->paths, $tenant))) {
                $paths[] = 'media';
            }
            // Borg stores a link as a link: a tenant's link to another's file archives nothing of it.
            if (is_dir("$dir/" . JoomlaConfig::DIR) && !is_link("$dir/" . JoomlaConfig::DIR)) {
                $paths[] = JoomlaConfig::DIR;
            }
            $this->borg->create($archive, $dir, $paths, "mokowaas tenant=$tenant" . ($tag !== null ? " tag=$tag" : ''));
        } catch (\RuntimeException $e) {
            if ($e instanceof BorgFailure || !DiskSpace::isFull($e->getMessage())) {
                throw $e;
            }
            throw new \RuntimeException('no space left on device for the dump in the tenant folder (' . DiskSpace::describe($dir) . '): free space, then run it again', 0, $e);
        } finally {
            self::removeTree($stage);
        }
        return $archive;
    }

    /** Checks the archive is readable end to end and holds a non-empty dump. */
    public function verify(string $archive): void
    {
        $this->borg->verify($archive);
        if (!in_array('.backup/db.sql', $this->borg->paths($archive), true)) {
            throw new BorgFailure("archive $archive holds no .backup/db.sql");
        }
    }

    /**
     * Restores $archive (of $source) into $target's database and media. The caller holds the
     * target's lock and has taken the safety backup. A clone (target != source) gets the target's
     * table prefix and media settings; registry entries are left to the control plane.
     */
    public function restoreInto(string $archive, string $source, string $target): void
    {
        $entry = $this->registry->get($target) ?? throw new UserError("tenant $target has no registry entry: the control plane creates it first", ExitCode::NOT_READY);
        $work = $this->paths->backups() . '/restore/' . $target . '-' . bin2hex(random_bytes(4));
        if (!mkdir($work, 0700, true)) {
            throw new \RuntimeException("cannot create $work");
        }
        try {
            $manifest = $this->extract($archive, $source, $work);
            $this->loadDatabase($entry, "$work/.backup/db.sql", (string) $manifest['db']['prefix'], $target);
            $this->replaceFolder(TenantMedia::folder($this->paths, $target), is_dir("$work/media") ? "$work/media" : null, 02750);
            $config = "$work/" . JoomlaConfig::DIR;
            $this->replaceFolder($this->paths->tenant($target) . '/' . JoomlaConfig::DIR, is_dir($config) && !is_link($config) ? $config : null, 0700);
            // The archive's files carry the source tenant's owner: the target's user gets them.
            $this->registry->ownFolders($target);
        } finally {
            self::removeTree($work);
        }
    }

    /**
     * Extracts $archive of tenant $source into the empty folder $dir and returns its manifest;
     * throws when it is not a MokoWaaS archive of that tenant.
     *
     * @return array<string, mixed>
     */
    public function extract(string $archive, string $source, string $dir): array
    {
        $this->borg->extract($archive, $dir);
        $manifest = json_decode((string) @file_get_contents("$dir/.backup/manifest.json"), true);
        if (!is_array($manifest) || ($manifest['tenant'] ?? null) !== $source || !is_array($manifest['db'] ?? null) || !is_file("$dir/.backup/db.sql")) {
            throw new UserError("archive $archive is not a MokoWaaS archive of tenant $source", ExitCode::INVALID_INPUT);
        }
        return $manifest;
    }

    /** @param array<string, mixed> $entry */
    private function loadDatabase(array $entry, string $dump, string $fromPrefix, string $tenant): void
    {
        $dbName = (string) $entry['db']['name'];
        $prefix = (string) $entry['db']['prefix'];
        $admin = Db::admin($this->config);
        if (!$admin->databaseExists($dbName)) {
            throw new UserError("database $dbName of tenant $tenant does not exist", ExitCode::NOT_READY);
        }
        $q = static fn (string $t): string => Db::ident($dbName) . '.' . Db::ident($t);
        foreach ($admin->tables($dbName) as $t) {
            $admin->exec('DROP TABLE ' . $q($t));
        }
        Mysqldump::load($this->config->mysql(), $dbName, $dump);
        if ($fromPrefix !== $prefix) {
            $renames = [];
            foreach ($admin->tables($dbName) as $t) {
                if (str_starts_with($t, $fromPrefix)) {
                    $renames[] = $q($t) . ' TO ' . $q($prefix . substr($t, strlen($fromPrefix)));
                }
            }
            if ($renames !== []) {
                $admin->exec('RENAME TABLE ' . implode(', ', $renames));
            }
        }
        TenantMedia::writeSettings($admin, $q($prefix . 'extensions'), $tenant);
        JoomlaGuardrails::apply($admin, static fn (string $table): string => $q($prefix . $table));
        $admin->close();
    }

    /**
     * Swaps one of the tenant's folders (media, config) for the archived one, or an empty one when
     * the archive has none; the old folder is removed only after the swap.
     */
    private function replaceFolder(string $folder, ?string $from, int $mode): void
    {
        $new = "$folder.restore-" . bin2hex(random_bytes(4));
        $old = "$folder.old-" . bin2hex(random_bytes(4));
        if ($from !== null) {
            Exec::run(['cp', '-a', '--', $from, $new]);
        } else {
            mkdir($new, $mode);
        }
        if (is_dir($folder) && !rename($folder, $old)) {
            throw new \RuntimeException("cannot move $folder aside");
        }
        if (!rename($new, $folder)) {
            @rename($old, $folder);
            throw new \RuntimeException("cannot put the restored folder at $folder");
        }
        self::removeTree($old);
    }

    /**
     * Prunes the tenant's untagged archives with its own retention (entry `backup.keep`, else the
     * defaults). Tagged archives (final, pre-restore, --tag) are kept until deleted by hand.
     *
     * @param array<string, mixed> $entry
     */
    public function prune(string $tenant, array $entry): string
    {
        /** @var array{daily: int, weekly: int, monthly: int} $keep (the registry checks backup.keep on write) */
        $keep = array_merge(self::DEFAULT_KEEP, is_array($entry['backup']['keep'] ?? null) ? $entry['backup']['keep'] : []);
        if ($keep['daily'] + $keep['weekly'] + $keep['monthly'] === 0) {
            return "$tenant: retention keeps nothing: not pruning (set backup.keep)";
        }
        return $this->borg->prune(self::untaggedGlob($tenant), $keep);
    }

    public static function removeTree(string $path): void
    {
        if (is_link($path) || is_file($path)) {
            @unlink($path);
        } elseif (is_dir($path)) {
            Exec::run(['rm', '-rf', '--', $path]);
        }
    }
}
