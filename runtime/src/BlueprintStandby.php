<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\UserError;

/**
 * A ready spare copy of the blueprint (database `<blueprint>_standby`, same `bp_` tables), so that
 * `tenant seed` moves 76 finished tables into the tenant's database with one RENAME TABLE instead of
 * creating and filling them while the caller waits (docs/bench-lifecycle.md).
 *
 * Freshness: the marker table `_mkstandby` holds the id of the blueprint the copy was made from,
 * written last by refill() and deleted first by claim() and refill(); a copy counts only when the
 * marker names the current blueprint (Blueprint::meta()['id']) and its tables are exactly the
 * blueprint's. So a copy of an older blueprint, a half-made one and one taken by a seed that died
 * before its RENAME are never used, only rebuilt.
 *
 * Locks, always in this order: "blueprint" (shared by seeds and refills, exclusive by
 * `blueprint create`), then "blueprint-standby" (exclusive: one claim or one refill at a time, so
 * two seeds never get the same copy). After a seed, refillInBackground() hands both locks to a
 * detached `mokowaas blueprint standby` child, so the copy is being remade until that child exits.
 */
final class BlueprintStandby
{
    public const SUFFIX = '_standby';
    public const MARKER = '_mkstandby';
    public const LOCK = 'blueprint-standby';
    /** Set for the background child: the file descriptors of the inherited locks, "blueprint,standby". */
    public const INHERITED_LOCKS_ENV = 'MOKOWAAS_STANDBY_LOCK_FDS';

    public function __construct(private readonly Paths $paths, private readonly PlatformConfig $config)
    {
    }

    /** @param array<string, mixed> $meta the blueprint description */
    public static function database(array $meta): string
    {
        return (string) $meta['database'] . self::SUFFIX;
    }

    /**
     * Whether the standby is a complete copy of this blueprint.
     *
     * @param array<string, mixed> $meta
     * @param list<string> $blueprintTables the blueprint's tables (sorted, as Db::tables lists them)
     */
    public function isFresh(Db $db, array $meta, array $blueprintTables): bool
    {
        $id = (string) ($meta['id'] ?? '');
        $standby = self::database($meta);
        if ($id === '' || !$db->databaseExists($standby)) {
            return false;
        }
        $tables = $db->tables($standby);
        if (!in_array(self::MARKER, $tables, true)) {
            return false;
        }
        $copies = array_values(array_diff($tables, [self::MARKER]));
        return $copies === $blueprintTables
            && $db->value('SELECT COUNT(*) FROM ' . $this->marker($meta) . ' WHERE id = ' . $db->quote($id)) === '1';
    }

    /**
     * Takes the standby for one seed (the caller holds the blueprint lock, shared): waits up to
     * $wait seconds for a running refill, then, if the copy is fresh, deletes its marker and
     * returns the held standby lock; release it once the copy has been renamed away. Null when
     * there is no fresh copy (the caller copies from the blueprint itself).
     *
     * @param array<string, mixed> $meta
     * @param list<string> $blueprintTables
     */
    public function claim(Db $db, array $meta, array $blueprintTables, float $wait): ?Lock
    {
        try {
            $lock = Lock::acquire($this->paths, self::LOCK, $wait);
        } catch (UserError) {
            return null;
        }
        if (!$this->isFresh($db, $meta, $blueprintTables)) {
            $lock->release();
            return null;
        }
        $db->exec('DELETE FROM ' . $this->marker($meta));
        return $lock;
    }

    /**
     * Remakes the copy unless it is fresh. The caller holds the blueprint lock and the standby lock.
     *
     * @param array<string, mixed> $meta
     * @return bool whether it was rebuilt
     */
    public function refill(Db $db, array $meta): bool
    {
        $bp = (string) $meta['database'];
        $prefix = (string) $meta['prefix'];
        $tables = array_values(array_filter($db->tables($bp), static fn (string $t): bool => str_starts_with($t, $prefix)));
        if ($tables === [] || $this->isFresh($db, $meta, $tables)) {
            return false;
        }
        $standby = self::database($meta);
        $q = static fn (string $t): string => Db::ident($standby) . '.' . Db::ident($t);
        if (!$db->databaseExists($standby)) {
            $db->exec('CREATE DATABASE ' . Db::ident($standby) . ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
        }
        // Marker first: from here until the end a crash leaves a copy nobody uses.
        $db->exec('DROP TABLE IF EXISTS ' . $this->marker($meta));
        foreach ($db->tables($standby) as $old) {
            $db->exec('DROP TABLE ' . $q($old));
        }
        foreach ($tables as $t) {
            $db->exec('CREATE TABLE ' . $q($t) . ' LIKE ' . Db::ident($bp) . '.' . Db::ident($t));
            $db->exec('INSERT INTO ' . $q($t) . ' SELECT * FROM ' . Db::ident($bp) . '.' . Db::ident($t));
        }
        $db->exec('CREATE TABLE ' . $this->marker($meta) . ' (id VARCHAR(64) NOT NULL) ENGINE=InnoDB');
        $db->exec('INSERT INTO ' . $this->marker($meta) . ' (id) VALUES (' . $db->quote((string) $meta['id']) . ')');
        return true;
    }

    /**
     * `mokowaas blueprint standby`: takes both locks (waiting up to $wait seconds, or inheriting
     * them from the seed that started this process) and remakes the copy unless it is fresh.
     *
     * @return string what happened: "fresh", "rebuilt" or "no blueprint"
     */
    public function refillNow(float $wait): string
    {
        $meta = (new Blueprint($this->paths, $this->config))->meta();
        $fds = getenv(self::INHERITED_LOCKS_ENV);
        if (is_string($fds) && preg_match('/^(\d+),(\d+)\z/', $fds, $m)) {
            $locks = [Lock::inherit((int) $m[1], 'blueprint', true), Lock::inherit((int) $m[2], self::LOCK, false)];
        } else {
            $locks = [Lock::acquire($this->paths, 'blueprint', $wait, shared: true), Lock::acquire($this->paths, self::LOCK, $wait)];
        }
        try {
            if ($meta === null) {
                return 'no blueprint';
            }
            $db = Db::admin($this->config);
            try {
                return $this->refill($db, $meta) ? 'rebuilt' : 'fresh';
            } finally {
                $db->close();
            }
        } finally {
            foreach (array_reverse($locks) as $lock) {
                $lock->release();
            }
        }
    }

    /**
     * Starts a detached `mokowaas blueprint standby` that remakes the copy after a seed took it,
     * so the seed's caller does not wait for it. The child gets both locks, taken here first:
     * nothing can claim a half-made copy, and whoever waits for the standby lock waits for the
     * child. Skipped when either lock is busy: `blueprint create` (exclusive) remakes the copy
     * itself, and a running refill or claim is followed by a refill of its own.
     * Output goes to Paths::logs()/standby.log.
     */
    public function refillInBackground(): void
    {
        $blueprint = null;
        try {
            $blueprint = Lock::acquire($this->paths, 'blueprint', 0, shared: true);
            $standby = Lock::acquire($this->paths, self::LOCK, 0);
        } catch (UserError) {
            $blueprint?->release();
            return;
        }
        $logs = $this->paths->logs();
        Dirs::make($logs, 0750);
        $env = getenv();
        $env[self::INHERITED_LOCKS_ENV] = '3,4';
        $cmd = ['setsid', PHP_BINARY, dirname(__DIR__) . '/bin/mokowaas', 'blueprint', 'standby'];
        $log = ['file', "$logs/standby.log", 'a'];
        $held = [3 => $blueprint->handOff(), 4 => $standby->handOff()];
        $child = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => $log, 2 => $log] + $held, $pipes, null, $env);
        // Closing (not unlocking) our handles leaves the locks with the child; not proc_close(),
        // which would wait for it.
        foreach ($held as $handle) {
            fclose($handle);
        }
        if (!is_resource($child)) {
            throw new \RuntimeException('cannot start `mokowaas blueprint standby` in the background');
        }
    }

    /** @param array<string, mixed> $meta */
    private function marker(array $meta): string
    {
        return Db::ident(self::database($meta)) . '.' . Db::ident(self::MARKER);
    }
}
