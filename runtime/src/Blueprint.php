<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Schema\Migrator;
use MokoWaaS\Schema\SchemaSet;

/**
 * The platform's blueprint database: a fresh Joomla install made once per release, copied
 * server-side into each new tenant's database (Joomla's installer cannot run per tenant on a
 * shared codebase, see DESIGN.md "Blueprint seeding").
 *
 * Its tables carry the prefix `bp_`; a description of it (database, release version, schema
 * version, super user id, how it was made) is written to $ROOT/etc/mokowaas/blueprint.php.
 * The blueprint's one super user is blocked and has no password: seeding gives it the tenant's.
 */
final class Blueprint
{
    public const DEFAULT_DATABASE = 'mokowaas_blueprint';
    public const PREFIX = 'bp_';
    /** Tables copied into a tenant database carry this in front of their final name until the seed commits. */
    public const SEED_STAGING = '_mkseed_';
    /** The installer's files, in its order. */
    public const INSTALL_SQL = ['base', 'supports', 'extensions'];
    /** How long a seed waits for a running standby refill before copying from the blueprint itself. */
    private const STANDBY_WAIT_SECONDS = 60.0;
    /** Where Joomla's installer points created_by-style columns at the super user. */
    private const USER_COLUMNS = [
        'categories' => ['created_user_id', 'modified_user_id'], 'guidedtours' => ['created_by', 'modified_by'],
        'guidedtour_steps' => ['created_by', 'modified_by'], 'scheduler_tasks' => ['created_by'],
        'tags' => ['created_user_id', 'modified_user_id'], 'workflows' => ['created_by', 'modified_by'],
    ];

    public function __construct(private readonly Paths $paths, private readonly PlatformConfig $config)
    {
    }

    /**
     * Database name for a new blueprint: --database, else platform config `blueprintDatabase`, else
     * mokowaas_blueprint. Seeding reads the name from the blueprint description.
     */
    public function database(?string $override = null): string
    {
        $name = $override ?? $this->config->toArray()['blueprintDatabase'] ?? $this->meta()['database'] ?? self::DEFAULT_DATABASE;
        if (!is_string($name) || !preg_match('/^[A-Za-z0-9_]{1,56}\z/', $name)) {
            throw new UserError('blueprint database name must be 1 to 56 of A-Z, a-z, 0-9 and "_"');
        }
        return $name;
    }

    public function metaFile(): string
    {
        return $this->paths->etc() . '/blueprint.php';
    }

    /** @return array<string, mixed>|null */
    public function meta(): ?array
    {
        if (!is_file($this->metaFile())) {
            return null;
        }
        $m = require $this->metaFile();
        return is_array($m) ? $m : null;
    }

    /** Why the real installer cannot run from $release, or null when it can. */
    public static function installerUnusable(string $release): ?string
    {
        if (!is_file("$release/installation/joomla.php")) {
            return "$release/installation/joomla.php is missing";
        }
        $min = self::phpMinimum($release);
        if (version_compare(PHP_VERSION, $min, '<')) {
            return "PHP " . PHP_VERSION . " is older than this Joomla's minimum $min";
        }
        return null;
    }

    /** JOOMLA_MINIMUM_PHP as the release declares it (8.3.0 for Joomla 6 when not found). */
    public static function phpMinimum(string $release): string
    {
        foreach (["$release/installation/index.php", "$release/index.php", "$release/includes/app.php"] as $f) {
            if (is_file($f) && preg_match("/JOOMLA_MINIMUM_PHP'\\s*,\\s*'([0-9.]+)'/", (string) file_get_contents($f), $m)) {
                return $m[1];
            }
        }
        return '8.3.0';
    }

    /**
     * Builds the blueprint from a release folder into a staging database, then swaps it in: with
     * Joomla's own CLI installer (a failing installer fails this, with its output), or with
     * --sql-only from the install SQL files. Nothing changes when it fails.
     *
     * @param callable(string): void $log
     * @return array<string, mixed> the new blueprint description
     */
    public function create(string $release, bool $sqlOnly, callable $log, ?string $database = null): array
    {
        $release = rtrim($release, '/');
        $core = SchemaSet::core($release);
        foreach (self::INSTALL_SQL as $f) {
            if (!is_file("$release/installation/sql/mysql/$f.sql")) {
                throw new UserError("$release/installation/sql/mysql/$f.sql is missing: --release must be an unpacked Joomla release (with its installation folder)");
            }
        }
        $version = $core->newest() ?? throw new UserError("{$core->updatesDir} holds no update files: cannot tell the schema version");
        // The real installer is the blueprint's source of truth; the install SQL alone is an
        // explicit choice, never a silent fallback.
        $method = $sqlOnly ? 'sql-only' : 'installer';
        if (!$sqlOnly && ($why = self::installerUnusable($release)) !== null) {
            throw new UserError("Joomla's installer cannot run from $release ($why): give the unpacked full package, "
                . 'or build from the install SQL alone with --sql-only', ExitCode::NOT_READY);
        }
        $lock = Lock::acquire($this->paths, 'blueprint', 600);
        $admin = Db::admin($this->config);
        $target = $this->database($database);
        $staging = $target . '_new';
        try {
            $admin->exec('DROP DATABASE IF EXISTS ' . Db::ident($staging));
            $admin->exec('CREATE DATABASE ' . Db::ident($staging) . ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
            if ($method === 'installer') {
                $this->runInstaller($admin, $release, $staging, $log);
            } else {
                $db = Db::admin($this->config, $staging);
                $db->joomlaSqlMode();
                self::applyInstallSql($db, $release, self::PREFIX);
                $db->close();
            }
            $userId = $this->finalize($staging, $core, $version);
            $this->swap($admin, $staging, $target);
        } catch (\Throwable $e) {
            try {
                $admin->exec('DROP DATABASE IF EXISTS ' . Db::ident($staging));
            } catch (\Throwable) { // @mago-expect lint:no-empty-catch-clause
                // Best-effort cleanup: the original error below is the one to report.
            }
            throw $e;
        }
        $xml = @simplexml_load_file($core->manifest);
        $meta = [
            // Names this build: a standby copy made from another build is never used (BlueprintStandby).
            'id' => bin2hex(random_bytes(8)),
            'database' => $target, 'prefix' => self::PREFIX, 'method' => $method,
            'release' => realpath($release) ?: $release, 'joomlaVersion' => $xml !== false ? (string) $xml->version : '',
            'schemaVersion' => $version, 'superUserId' => $userId, 'createdAt' => gmdate('Y-m-d\TH:i:s\Z'),
        ];
        AtomicFile::writePhpArray($this->metaFile(), $meta, 0600);
        $log('making the standby copy new tenants are seeded from');
        try {
            $standbyLock = Lock::acquire($this->paths, BlueprintStandby::LOCK, 600);
            (new BlueprintStandby($this->paths, $this->config))->refill($admin, $meta);
            $standbyLock->release();
        } catch (\Throwable $e) {
            // The blueprint itself is fine: seeds copy from it until a refill succeeds.
            $log('the standby copy could not be made (' . $e->getMessage() . '): run `mokowaas blueprint standby`');
        }
        $lock->release();
        return $meta;
    }

    /** Joomla's install SQL of a package as published ($release/installation), tables named with $prefix. */
    public static function applyInstallSql(Db $db, string $release, string $prefix): void
    {
        foreach (self::INSTALL_SQL as $f) {
            $file = "$release/installation/sql/mysql/$f.sql";
            if (!is_file($file)) {
                throw new UserError("$file is missing: give the unpacked Joomla package as published (with its installation folder)");
            }
            foreach (SqlSplitter::split((string) file_get_contents($file)) as $stmt) {
                try {
                    $db->exec(SqlSplitter::replacePrefix($stmt['sql'], $prefix));
                } catch (\mysqli_sql_exception $e) {
                    throw new UserError("installation/sql/mysql/$f.sql line {$stmt['line']}: {$e->getMessage()}", ExitCode::FAILED);
                }
            }
        }
    }

    /**
     * The real CLI installer in a throwaway copy of the release. Joomla's installer takes the
     * database password only as `--db-pass` in argv, so it gets a temporary account that can
     * reach the staging database alone and is dropped right after: the password in argv is
     * useless once the installer has exited. The admin password given to it is random and
     * thrown away too (the blueprint's super user is blocked; seeding sets the real one).
     *
     * @param callable(string): void $log
     */
    private function runInstaller(Db $admin, string $release, string $staging, callable $log): void
    {
        $copy = sys_get_temp_dir() . '/mokowaas-installer-' . bin2hex(random_bytes(6));
        $account = null;
        try {
            $this->run(['cp', '-a', '--', $release, $copy], 'copying the release');
            @unlink("$copy/configuration.php");
            $account = MysqlTempAccount::create($admin, $staging, 'mkbp_');
            $log('running the Joomla installer in a throwaway copy');
            $this->run([PHP_BINARY, "$copy/installation/joomla.php", 'install', '-n',
                '--site-name=MokoWaaS blueprint', '--admin-user=Super User', '--admin-username=blueprint-admin',
                '--admin-password=' . bin2hex(random_bytes(16)), '--admin-email=blueprint@example.com',
                '--db-type=mysqli', '--db-host=' . MysqlTempAccount::joomlaHost($this->config), "--db-user={$account->user}",
                "--db-pass={$account->password}", "--db-name=$staging", '--db-prefix=' . self::PREFIX, '--db-encryption=0'], 'the Joomla installer', $copy);
        } finally {
            $account?->drop();
            if (is_dir($copy)) {
                $this->run(['rm', '-rf', '--', $copy], 'removing the throwaway copy');
            }
        }
    }

    /** @param list<string> $cmd */
    private function run(array $cmd, string $what, ?string $cwd = null): void
    {
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd);
        if (!is_resource($p)) {
            throw new \RuntimeException("cannot start $what");
        }
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        if (proc_close($p) !== 0) {
            throw new UserError("$what failed: " . trim(substr((string) $out, -2000)), ExitCode::FAILED);
        }
    }

    /**
     * What the installer does after the SQL, made the same for both ways of building: core schema
     * version in #__schemas, files_joomla's manifest cache, exactly one super user (blocked,
     * without password until seeding) owning the rows the installer assigns to it.
     */
    private function finalize(string $staging, SchemaSet $core, string $version): int
    {
        $db = Db::admin($this->config, $staging);
        $t = static fn (string $name): string => Db::ident(self::PREFIX . $name);
        $m = new Migrator($db, self::PREFIX);
        $m->setVersion($m->extensionId($core), $version);
        $m->refreshManifestCache($core);
        $userId = $db->value('SELECT user_id FROM ' . $t('user_usergroup_map') . ' WHERE group_id = 8 ORDER BY user_id LIMIT 1');
        if ($userId === null) {
            // Joomla picks a random super user id; every tenant copied from this blueprint shares it.
            $userId = (string) random_int(100, 999);
            $db->exec('INSERT INTO ' . $t('users') . ' (id, name, username, email, password, block, sendEmail, registerDate, params)'
                . " VALUES ($userId, 'Super User', 'blueprint-admin', 'blueprint@example.com', '', 1, 1, UTC_TIMESTAMP(), '')");
            $db->exec('INSERT INTO ' . $t('user_usergroup_map') . " (user_id, group_id) VALUES ($userId, 8)");
        } else {
            $db->exec('UPDATE ' . $t('users') . " SET password = '', block = 1 WHERE id = $userId");
        }
        foreach (self::USER_COLUMNS as $table => $columns) {
            $have = $db->column('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ' . $db->quote($staging)
                . ' AND TABLE_NAME = ' . $db->quote(self::PREFIX . $table));
            $set = array_map(static fn (string $c): string => Db::ident($c) . " = $userId", array_values(array_intersect($columns, $have)));
            if ($set !== []) {
                $db->exec('UPDATE ' . $t($table) . ' SET ' . implode(', ', $set));
            }
        }
        $db->close();
        return (int) $userId;
    }

    /** Replaces the blueprint's tables by the staging ones in one RENAME (seeds hold the lock meanwhile). */
    private function swap(Db $admin, string $staging, string $target): void
    {
        if (!$admin->databaseExists($target)) {
            $admin->exec('CREATE DATABASE ' . Db::ident($target) . ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
        }
        foreach ($admin->tables($target) as $old) {
            $admin->exec('DROP TABLE ' . Db::ident($target) . '.' . Db::ident($old));
        }
        $renames = array_map(static fn (string $t): string => Db::ident($staging) . '.' . Db::ident($t) . ' TO ' . Db::ident($target) . '.' . Db::ident($t), $admin->tables($staging));
        $admin->exec('RENAME TABLE ' . implode(', ', $renames));
        $admin->exec('DROP DATABASE ' . Db::ident($staging));
    }

    /**
     * Copies the blueprint into a tenant's empty database (same server, server-side) and sets its
     * super user and media settings; one RENAME TABLE then makes the copy live. The copy is the
     * ready standby when it is fresh (BlueprintStandby: claimed, personalized, renamed into the
     * tenant's database), else made here under staging names. A failure before the RENAME leaves
     * the tenant's database empty or holding staging tables, which the next run drops; a claimed
     * standby is never used again, only remade.
     *
     * @param array<string, mixed> $entry the tenant's registry entry
     * @param array{username: string, email: string, passwordHash: string, name: string} $admin
     * @return bool whether the standby copy was used
     */
    public function seed(array $entry, array $admin): bool
    {
        $meta = $this->meta() ?? throw new UserError('there is no blueprint yet: run `mokowaas blueprint create --release DIR` first', ExitCode::NOT_READY);
        $lock = Lock::acquire($this->paths, 'blueprint', 600, shared: true);
        $tenant = (string) $entry['tenant'];
        $target = (string) $entry['db']['name'];
        $prefix = (string) ($entry['db']['prefix'] ?? 'jos_');
        $bp = (string) $meta['database'];
        $bpPrefix = (string) $meta['prefix'];
        $db = Db::admin($this->config);
        if (!$db->databaseExists($target)) {
            throw new UserError("database \"$target\" of tenant $tenant does not exist: the control plane creates it before seeding", ExitCode::NOT_READY);
        }
        $existing = $db->tables($target);
        $live = array_values(array_filter($existing, static fn (string $t): bool => !str_starts_with($t, self::SEED_STAGING)));
        if ($live !== []) {
            throw new UserError("database \"$target\" of tenant $tenant already holds " . count($live) . ' table(s) (e.g. ' . $live[0]
                . '): refusing to seed over a live site', ExitCode::REFUSED);
        }
        $q = static fn (string $t): string => Db::ident($target) . '.' . Db::ident($t);
        foreach ($existing as $leftover) {
            $db->exec('DROP TABLE ' . $q($leftover));
        }
        $source = array_values(array_filter($db->tables($bp), static fn (string $t): bool => str_starts_with($t, $bpPrefix)));
        if ($source === []) {
            throw new UserError("blueprint database \"$bp\" holds no tables: run `mokowaas blueprint create` again", ExitCode::NOT_READY);
        }
        $final = [];
        foreach ($source as $t) {
            $name = $prefix . substr($t, strlen($bpPrefix));
            if (strlen(self::SEED_STAGING . $name) > 64) {
                throw new UserError('table name ' . self::SEED_STAGING . "$name is longer than MySQL's 64 characters: use a shorter table prefix than \"$prefix\"");
            }
            $final[$t] = $name;
        }
        $id = (int) $meta['superUserId'];
        $standby = new BlueprintStandby($this->paths, $this->config);
        $claim = $standby->claim($db, $meta, $source, self::STANDBY_WAIT_SECONDS);
        if ($claim !== null) {
            // The copy is ours alone (its marker is gone): make it the tenant's, then move it in.
            $from = BlueprintStandby::database($meta);
            $this->personalize($db, static fn (string $table): string => Db::ident($from) . '.' . Db::ident($bpPrefix . $table), $id, $admin, $tenant);
            $renames = [];
            foreach ($final as $t => $name) {
                $renames[] = Db::ident($from) . '.' . Db::ident($t) . ' TO ' . $q($name);
            }
            $db->exec('RENAME TABLE ' . implode(', ', $renames));
            $claim->release();
            $db->close();
            $lock->release();
            return true;
        }
        foreach ($final as $t => $name) {
            $db->exec('CREATE TABLE ' . $q(self::SEED_STAGING . $name) . ' LIKE ' . Db::ident($bp) . '.' . Db::ident($t));
            $db->exec('INSERT INTO ' . $q(self::SEED_STAGING . $name) . ' SELECT * FROM ' . Db::ident($bp) . '.' . Db::ident($t));
        }
        $this->personalize($db, static fn (string $table): string => $q(self::SEED_STAGING . $prefix . $table), $id, $admin, $tenant);
        $renames = [];
        foreach ($final as $name) {
            $renames[] = $q(self::SEED_STAGING . $name) . ' TO ' . $q($name);
        }
        $db->exec('RENAME TABLE ' . implode(', ', $renames));
        $db->close();
        $lock->release();
        return false;
    }

    /**
     * The tenant's own super user (its bcrypt hash as given, group 8 checked), media settings and the
     * platform's guardrails (JoomlaGuardrails), in the
     * tables $t names (the staging copy or the claimed standby).
     *
     * @param callable(string): string $t Joomla table name without prefix -> qualified table
     * @param array{username: string, email: string, passwordHash: string, name: string} $admin
     */
    private function personalize(Db $db, callable $t, int $id, array $admin, string $tenant): void
    {
        $db->exec('UPDATE ' . $t('users') . ' SET name = ' . $db->quote($admin['name']) . ', username = ' . $db->quote($admin['username'])
            . ', email = ' . $db->quote($admin['email']) . ', password = ' . $db->quote($admin['passwordHash'])
            . ", block = 0, sendEmail = 1, requireReset = 0, registerDate = UTC_TIMESTAMP() WHERE id = $id");
        if ($db->value('SELECT COUNT(*) FROM ' . $t('user_usergroup_map') . " WHERE user_id = $id AND group_id = 8") !== '1') {
            throw new \RuntimeException("the blueprint's super user $id is not in group 8: rebuild the blueprint");
        }
        TenantMedia::writeSettings($db, $t('extensions'), $tenant);
        JoomlaGuardrails::apply($db, $t);
    }
}
