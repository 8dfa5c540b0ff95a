<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * A restore drill: a tenant's newest archive restored where nothing live is: a scratch database
 * and user (`mokowaas_drill_<id>`) and a scratch folder (Paths::drill()/<id>) holding the
 * extracted archive and a scratch MOKOWAAS_ROOT with only that tenant in it. Checked: the
 * restored database has as many tables as the manifest counted at backup time, and the served
 * Joomla release renders the tenant's home page from the scratch copy (its own index.php through
 * PHP, as the tenant's Unix user, the bootstrap pointed at the scratch root). Whatever happens,
 * the scratch database, user and folder are removed; a drill killed half-way leaves them to the
 * next one, which removes every leftover first.
 */
final class RestoreDrill
{
    public const PREFIX = 'mokowaas_drill_';
    private const RENDER_TIMEOUT = 180;
    private const STATUS_MARK = 'MOKOWAAS-DRILL-STATUS ';

    private readonly TenantArchive $archives;
    private readonly Registry $registry;

    public function __construct(private readonly Paths $paths, private readonly PlatformConfig $config)
    {
        $this->archives = new TenantArchive($paths, $config);
        $this->registry = new Registry($paths);
    }

    /**
     * The tenant to drill and its archive: $tenant's, or a random ready tenant's among those
     * that have one. Null when there is nothing to drill yet. BorgFailure when the archives
     * cannot be listed.
     *
     * @return array{tenant: string, archive: string}|null
     */
    public function pick(?string $tenant): ?array
    {
        try {
            $byTenant = $this->archives->byTenant();
        } catch (\RuntimeException $e) {
            // Backup host down, key refused, passphrase missing: a failed drill, not a usage error.
            throw new BorgFailure('cannot list the archives: ' . $e->getMessage());
        }
        if ($tenant !== null) {
            $entry = $this->registry->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
            if (($entry['state'] ?? '') !== 'ready') {
                throw new UserError("tenant $tenant is not ready (state " . ($entry['state'] ?? '?') . ')', ExitCode::NOT_READY);
            }
            $archive = TenantArchive::newestRestorable($byTenant[$tenant] ?? []) ?? throw new UserError("tenant $tenant has no archive to drill", ExitCode::NOT_READY);
            return ['tenant' => $tenant, 'archive' => $archive];
        }
        $candidates = [];
        foreach ($this->registry->tenants() as $t) {
            $archive = TenantArchive::newestRestorable($byTenant[$t] ?? []);
            if ($archive !== null && ($this->registry->get($t)['state'] ?? '') === 'ready') {
                $candidates[] = ['tenant' => $t, 'archive' => $archive];
            }
        }
        return $candidates === [] ? null : $candidates[random_int(0, count($candidates) - 1)];
    }

    /**
     * Runs the drill of $archive (of $tenant). Never throws for a failed check: the result says
     * which step failed and why.
     *
     * @return array{ok: bool, detail: string, checks: array<string, array{ok: bool, detail: string, ...}>, cleanup: string}
     */
    public function run(string $tenant, string $archive): array
    {
        $id = bin2hex(random_bytes(4));
        $scratch = ['db' => self::PREFIX . $id, 'dir' => $this->paths->drill() . "/$id"];
        $checks = [];
        $step = 'extract';
        try {
            Dirs::make($this->paths->drill(), 0711);
            Dirs::make($scratch['dir'], 0711);
            Dirs::make($scratch['dir'] . '/archive', 0700);
            $manifest = $this->archives->extract($archive, $tenant, $scratch['dir'] . '/archive');
            $checks['extract'] = ['ok' => true, 'detail' => "extracted $archive"];
            $step = 'tables';
            $checks['tables'] = $this->loadAndCount($scratch, $manifest);
            if ($checks['tables']['ok']) {
                $step = 'home';
                $checks['home'] = $this->renderHome($tenant, $scratch, $manifest);
            }
        } catch (\Throwable $e) {
            $checks[$step] = ['ok' => false, 'detail' => $e->getMessage()];
        } finally {
            $cleanup = $this->removeScratch([$scratch['db']], [$scratch['dir']]);
        }
        $failed = array_keys(array_filter($checks, static fn (array $c): bool => !$c['ok']));
        $detail = $failed === [] ? "restored $archive into a scratch copy: tables and home page checked"
            : implode('; ', array_map(static fn (string $k): string => "$k: {$checks[$k]['detail']}", $failed));
        if ($cleanup !== 'ok') {
            $detail .= "; cleanup: $cleanup";
        }
        return ['ok' => $failed === [] && $cleanup === 'ok', 'detail' => $detail, 'checks' => $checks, 'cleanup' => $cleanup];
    }

    /**
     * Removes what earlier drills left behind (killed half-way): every scratch database and user
     * and every scratch folder. Returns 'ok' or what could not be removed.
     */
    public function removeLeftovers(): string
    {
        $dbs = [];
        try {
            $admin = Db::admin($this->config);
            // A drill killed between dropping its database and its user leaves the user alone.
            $dbs = array_values(array_unique(array_merge(
                $admin->column("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mokowaas\\_drill\\_%'"),
                $admin->column("SELECT User FROM mysql.user WHERE User LIKE 'mokowaas\\_drill\\_%'"),
            )));
            $admin->close();
        } catch (\Throwable $e) {
            return 'cannot list scratch databases: ' . $e->getMessage();
        }
        $dirs = array_map(fn (string $n): string => $this->paths->drill() . "/$n", array_values(array_diff(scandir($this->paths->drill()) ?: [], ['.', '..'])));
        return $this->removeScratch($dbs, $dirs);
    }

    /**
     * Drops the scratch databases and their users (one name for both) and removes the folders;
     * every part is tried.
     *
     * @param list<string> $dbs
     * @param list<string> $dirs
     */
    private function removeScratch(array $dbs, array $dirs): string
    {
        $problems = [];
        try {
            $admin = Db::admin($this->config);
            foreach ($dbs as $db) {
                if (!str_starts_with($db, self::PREFIX)) {
                    continue;
                }
                $admin->exec('DROP DATABASE IF EXISTS ' . Db::ident($db));
                foreach ($admin->column('SELECT Host FROM mysql.user WHERE User = ' . $admin->quote($db)) as $host) {
                    $admin->exec('DROP USER IF EXISTS ' . $admin->quote($db) . '@' . $admin->quote($host));
                }
            }
            $admin->close();
        } catch (\Throwable $e) {
            $problems[] = 'scratch database: ' . $e->getMessage();
        }
        foreach ($dirs as $dir) {
            try {
                TenantArchive::removeTree($dir);
                clearstatcache(true, $dir);
                if (file_exists($dir)) {
                    $problems[] = "$dir is still there";
                }
            } catch (\Throwable $e) {
                $problems[] = $e->getMessage();
            }
        }
        return $problems === [] ? 'ok' : implode('; ', $problems);
    }

    /**
     * Loads the dump into the scratch database and compares its base tables with the count the
     * manifest took at backup time (archives made before the count was recorded: the dump's own
     * CREATE TABLE statements).
     *
     * @param array{db: string, dir: string} $scratch
     * @param array<string, mixed> $manifest
     * @return array{ok: bool, detail: string, expected: int, found: int}
     */
    private function loadAndCount(array $scratch, array $manifest): array
    {
        $dump = $scratch['dir'] . '/archive/.backup/db.sql';
        $admin = Db::admin($this->config);
        try {
            $admin->exec('CREATE DATABASE ' . Db::ident($scratch['db']) . ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
            Mysqldump::load($this->config->mysql(), $scratch['db'], $dump);
            $found = count($admin->tables($scratch['db']));
        } finally {
            $admin->close();
        }
        $expected = $manifest['db']['tables'] ?? null;
        $source = 'the manifest';
        if (!is_int($expected)) {
            $expected = (int) preg_match_all('/^CREATE TABLE /m', (string) file_get_contents($dump), $creates);
            $source = 'the dump (its manifest has no table count)';
        }
        $ok = $found === $expected && $found > 0;
        return ['ok' => $ok, 'detail' => $ok ? "$found tables, as $source says" : "$found tables restored, $source says $expected", 'expected' => $expected, 'found' => $found];
    }

    /**
     * Renders the tenant's home page from the scratch copy with its release's own index.php: a
     * scratch MOKOWAAS_ROOT holds the tenant's entry (its database pointed at the scratch database,
     * through a scratch MySQL user granted on it alone) and its folders (media and own
     * configuration from the archive). Joomla runs as the tenant's Unix user (never root,
     * as its pool), with the request of "/" on the host Joomla takes as its base.
     *
     * @param array{db: string, dir: string} $scratch
     * @param array<string, mixed> $manifest
     * @return array{ok: bool, detail: string, status: int}
     */
    private function renderHome(string $tenant, array $scratch, array $manifest): array
    {
        $live = $this->registry->get($tenant) ?? throw new \RuntimeException("tenant $tenant has no registry entry");
        // The release the tenant is pinned to: the code its archived database belongs with.
        $index = (new Releases($this->paths))->dirOf($live) . '/index.php';
        if (!is_file($index)) {
            throw new \RuntimeException("the tenant's Joomla release is not there ($index missing)");
        }
        $account = posix_geteuid() === 0 ? ((new TenantAccount($this->paths))->get($tenant) ?? throw new \RuntimeException("tenant $tenant has no Unix user")) : null;
        $password = bin2hex(random_bytes(18));
        $admin = Db::admin($this->config);
        try {
            foreach (['127.0.0.1', 'localhost'] as $host) {
                $user = $admin->quote($scratch['db']) . '@' . $admin->quote($host);
                $admin->exec("CREATE USER $user IDENTIFIED BY " . $admin->quote($password));
                $admin->exec('GRANT ALL PRIVILEGES ON ' . Db::ident($scratch['db']) . ".* TO $user");
            }
        } finally {
            $admin->close();
        }
        $root = $scratch['dir'] . '/root';
        $scratchPaths = new Paths($root);
        $entry = ['db' => ['name' => $scratch['db'], 'user' => $scratch['db'], 'password' => $password, 'prefix' => (string) $manifest['db']['prefix']] + $live['db'],
            'state' => 'ready'] + $live;
        Dirs::make($scratchPaths->registryEntries(), 0755);
        AtomicFile::writePhpArray($scratchPaths->registryEntry($tenant), $entry, 0600);
        $dir = $scratchPaths->tenant($tenant);
        $archived = $scratch['dir'] . '/archive';
        foreach (Registry::FOLDERS as $name => $mode) {
            if (in_array($name, ['media', JoomlaConfig::DIR], true) && is_dir("$archived/$name") && !is_link("$archived/$name")) {
                Dirs::make(dirname("$dir/$name"), 0755);
                if (!rename("$archived/$name", "$dir/$name")) {
                    throw new \RuntimeException("cannot move the archived $name into $dir");
                }
            } else {
                Dirs::make("$dir/$name", $mode);
            }
        }
        if (!is_file($dir . '/' . JoomlaConfig::DIR . '/configuration.php')) {
            AtomicFile::write($dir . '/' . JoomlaConfig::DIR . '/configuration.php', JoomlaConfig::settingsSource([]), 0600);
        }
        $runner = $scratch['dir'] . '/render.php';
        AtomicFile::write($runner, self::runnerSource(), 0644);
        $cmd = [PHP_BINARY, $runner, $index];
        if ($account !== null) {
            Exec::run(['chown', '-hR', "{$account['uid']}:{$account['gid']}", '--', $root]);
            $cmd = ['setpriv', "--reuid={$account['uid']}", "--regid={$account['gid']}", '--clear-groups', '--', ...$cmd];
        }
        // The host Joomla takes for its base under PHP's CLI (live_site): a request for another
        // would be redirected to it by Joomla's SEF plugin.
        $host = (string) parse_url((string) JoomlaConfig::forTenant($entry, 'cli', $dir)['live_site'], PHP_URL_HOST);
        $env = ['MOKOWAAS_ROOT' => $root, 'MOKOWAAS_TENANT' => $tenant, 'PATH' => (string) (getenv('PATH') ?: '/usr/bin:/bin'),
            'HTTP_HOST' => $host, 'SERVER_NAME' => $host, 'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/', 'SCRIPT_NAME' => '/index.php',
            'PHP_SELF' => '/index.php', 'SCRIPT_FILENAME' => $index, 'HTTPS' => 'on', 'SERVER_PORT' => '443', 'HTTP_USER_AGENT' => 'mokowaas-drill'];
        foreach (['PHPRC', 'PHP_INI_SCAN_DIR'] as $name) {
            if (($value = getenv($name)) !== false) {
                $env[$name] = $value;
            }
        }
        [$code, $body, $err] = self::capture($cmd, $env, dirname($index));
        $said = preg_match('/^' . self::STATUS_MARK . '(\{.*\})$/m', $err, $m) ? json_decode($m[1], true) : null;
        $status = (int) ($said['status'] ?? 0);
        $location = (string) ($said['location'] ?? '');
        $siteName = (string) ($said['siteName'] ?? '');
        $problem = match (true) {
            $code !== 0 => "Joomla exited $code: " . trim(substr(preg_replace('/^' . self::STATUS_MARK . '.*$/m', '', $err) . ' ' . strip_tags($body), -600)),
            $status !== 200 => "the home page answered HTTP $status" . ($location !== '' ? " (to $location)" : '') . ': ' . trim(substr(strip_tags($body), 0, 300)),
            !preg_match('~<html.*</html>~is', $body) => 'the home page is not an HTML page: ' . trim(substr($body, 0, 300)),
            $siteName === '' || (!str_contains($body, htmlspecialchars($siteName, ENT_QUOTES | ENT_HTML5, 'UTF-8')) && !str_contains($body, $siteName))
                => "the home page does not name the site (\"$siteName\")",
            default => null,
        };
        return $problem === null
            ? ['ok' => true, 'detail' => sprintf('home page of %s rendered: HTTP 200, %d bytes', $host, strlen($body)), 'status' => $status]
            : ['ok' => false, 'detail' => $problem, 'status' => $status];
    }

    /**
     * The PHP file that runs index.php as a request would: $_SERVER from the environment (the
     * bootstrap reads getenv(), Joomla $_SERVER), and the response status reported on stderr when
     * the request ends (PHP's CLI keeps the code http_response_code() set).
     */
    private static function runnerSource(): string
    {
        return strtr(<<<'PHP'
            <?php
            // Written by `mokowaas drill`: renders one page of the scratch copy through Joomla's index.php.
            foreach (['HTTP_HOST', 'SERVER_NAME', 'REQUEST_METHOD', 'REQUEST_URI', 'SCRIPT_NAME', 'PHP_SELF', 'SCRIPT_FILENAME', 'HTTPS', 'SERVER_PORT', 'HTTP_USER_AGENT'] as $k) {
                $_SERVER[$k] = (string) getenv($k);
            }
            $_SERVER['argv'] = [];
            $_SERVER['argc'] = 0;
            register_shutdown_function(static function (): void {
                // A redirect's target from Joomla's own response headers (PHP's CLI keeps none), and
                // the site name Joomla has (the tenant's own settings may change it).
                $location = $siteName = '';
                try {
                    if (class_exists(\Joomla\CMS\Factory::class, false)) {
                        $app = \Joomla\CMS\Factory::getApplication();
                        $siteName = (string) $app->get('sitename');
                        foreach ($app->getHeaders() as $h) {
                            $location = strcasecmp((string) $h['name'], 'location') === 0 ? (string) $h['value'] : $location;
                        }
                    }
                } catch (\Throwable) {
                }
                fwrite(STDERR, "\n@STATUS_MARK@" . json_encode(['status' => http_response_code() ?: 200, 'location' => $location, 'siteName' => $siteName]) . "\n");
            });
            chdir(dirname($argv[1]));
            require $argv[1];
            PHP, ['@STATUS_MARK@' => self::STATUS_MARK]);
    }

    /**
     * @param list<string> $cmd
     * @param array<string, string> $env
     * @return array{int, string, string} exit code, stdout, stderr
     */
    private static function capture(array $cmd, array $env, string $cwd): array
    {
        $out = tmpfile();
        $err = tmpfile();
        $p = proc_open(['timeout', (string) self::RENDER_TIMEOUT, ...$cmd], [0 => ['file', '/dev/null', 'r'], 1 => $out, 2 => $err], $pipes, $cwd, $env);
        if (!is_resource($p)) {
            throw new \RuntimeException('cannot start PHP to render the home page');
        }
        $code = proc_close($p);
        rewind($out);
        rewind($err);
        return [$code, (string) stream_get_contents($out), (string) stream_get_contents($err)];
    }
}
