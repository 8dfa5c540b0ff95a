<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Schema\MigrationFailure;
use MokoWaaS\Schema\Migrator;

/**
 * Moves one tenant to another Joomla release (`mokowaas upgrade`), as Aegir moves a site between
 * platforms, in steps:
 *   archive    a tagged Borg archive (`<t>-pre-upgrade-<time>`); failing, the tenant is skipped and
 *              nothing has changed
 *   maintenance every host of the tenant answers 503 "maintenance" (state `maintenance`)
 *   pin        the entry's release becomes the new one (its hosts' release links follow once served)
 *   database   the new release's update files in Joomla's order with #__schemas (Migrator)
 *   finalise   Joomla's own updater steps after the files, in the new release as the tenant's user
 *              (mokowaas/finalise-update.php), then the platform's guardrails again
 *   serve      state `ready`: the 503 window ends here
 *   verify     the dev host (and production when online) answers 200 with the site name, the
 *              administrator login page 200, and no new PHP error in the tenant's log
 * Any failure after the archive rolls back: maintenance, the archive restored (database, media,
 * settings), the old release pinned, the tenant's cache emptied, served again, verified. A marker
 * file (MARKER in the tenant folder, root's) lives from the archive to the end, so a run that died
 * half-way is rolled back by the next `upgrade` of that tenant before anything else.
 */
final class TenantUpgrade
{
    public const TAG = 'pre-upgrade';
    private const MARKER = '.upgrade.json';
    /** What counts as a new PHP error in the tenant's log (deprecations and notices do not). */
    private const PHP_ERROR = '/PHP (Fatal error|Parse error|Warning|Recoverable fatal error)|Uncaught /';

    private readonly Registry $registry;
    private readonly Releases $releases;
    private readonly PlatformConfig $config;
    /** @var list<array{step: string, seconds: float}> */
    private array $steps = [];

    public function __construct(private readonly Paths $paths)
    {
        $this->registry = new Registry($paths);
        $this->releases = new Releases($paths);
        $this->config = PlatformConfig::load($paths);
    }

    /**
     * Upgrades $tenant to release $to; the caller holds the tenant's lock. Returns the report:
     * status upgraded | up-to-date | skipped | rolled-back | rollback-failed, with from, to,
     * archive, maintenanceSeconds, steps, and for a failure its step and error.
     *
     * @return array<string, mixed>
     */
    public function run(string $tenant, string $to): array
    {
        $this->steps = [];
        $report = ['tenant' => $tenant, 'to' => $to];
        $this->releases->servable($to);
        $repaired = $this->repair($tenant);
        if ($repaired !== null) {
            $report['repaired'] = $repaired;
        }
        $entry = $this->entry($tenant);
        if (($entry['state'] ?? '') !== 'ready') {
            throw new UserError("tenant $tenant is not ready (state " . ($entry['state'] ?? '?') . '): nothing to upgrade', ExitCode::NOT_READY);
        }
        $hold = $entry['holdRelease'] ?? null;
        // A hold names a Joomla version's release (`joomla-<v>`); the same version with the platform's
        // extension set (`joomla-<v>-x<id>`, docs/extensions.md) is the same Joomla, so allowed.
        if (is_string($hold) && $hold !== $to && !preg_match('/\A' . preg_quote($hold, '/') . '-x[0-9a-f]{12}\z/', $to)) {
            throw new UserError("tenant $tenant is held on $hold (its tenant YAML's joomlaRelease): it is moved to no other Joomla version", ExitCode::REFUSED);
        }
        $from = $this->releases->idOf($entry) ?? throw new UserError("tenant $tenant has no release", ExitCode::NOT_READY);
        $report['from'] = $from;
        if ($from === $to) {
            return $report + ['status' => 'up-to-date'];
        }
        $fromDir = $this->releases->servable($from);
        $toDir = $this->releases->dir($to);

        try {
            $archive = $this->step('archive', fn (): string => (new TenantArchive($this->paths, $this->config))->backup($tenant, self::TAG, $entry));
        } catch (\Throwable $e) {
            return $report + ['status' => 'skipped', 'step' => 'archive', 'error' => $e->getMessage(), 'steps' => $this->steps];
        }
        $report['archive'] = $archive;
        AtomicFile::write($this->marker($tenant), json_encode(['from' => $from, 'to' => $to, 'archive' => $archive, 'startedAt' => gmdate('c')], JSON_THROW_ON_ERROR) . "\n", 0600);
        $log = $this->paths->tenant($tenant) . '/logs/php-errors.log';
        $logOffset = is_file($log) ? (int) filesize($log) : 0;

        $step = 'maintenance';
        $down = microtime(true);
        try {
            $this->step('maintenance', fn () => $this->registry->setState($tenant, 'maintenance'));
            $step = 'pin';
            $this->step('pin', fn () => $this->registry->setRelease($tenant, $to));
            $step = 'database';
            $report['database'] = $this->step('database', fn (): array => $this->database($entry, $toDir));
            $step = 'finalise';
            $report['finalise'] = $this->step('finalise', fn (): array => $this->finalise($tenant, $entry, (string) Releases::joomlaVersion($fromDir), $toDir));
            $step = 'serve';
            $this->step('serve', fn () => $this->registry->setState($tenant, 'ready'));
            $report['maintenanceSeconds'] = round(microtime(true) - $down, 3);
            $step = 'verify';
            $this->step('verify', fn () => $this->verify($entry, $log, $logOffset));
        } catch (\Throwable $e) {
            $report += ['step' => $step, 'error' => self::describe($e)];
            return $this->rollBack($tenant, $from, $archive, $report, $log, $down);
        }
        @unlink($this->marker($tenant));
        return $report + ['status' => 'upgraded', 'steps' => $this->steps];
    }

    /**
     * A marker left by a run that died half-way: that run's rollback first (its archive, its old
     * release). Returns what was repaired, or null when there was nothing.
     *
     * @return array<string, mixed>|null
     */
    private function repair(string $tenant): ?array
    {
        $file = $this->marker($tenant);
        if (!is_file($file)) {
            return null;
        }
        $m = json_decode((string) file_get_contents($file), true);
        if (!is_array($m) || !is_string($m['from'] ?? null) || !is_string($m['archive'] ?? null)) {
            throw new UserError("$file is not an upgrade marker: look at the tenant, then remove it", ExitCode::FAILED);
        }
        $r = $this->rollBack($tenant, $m['from'], $m['archive'], ['tenant' => $tenant, 'from' => $m['from'], 'to' => $m['to'] ?? null, 'step' => 'interrupted', 'error' => 'an earlier upgrade stopped half-way'], null, microtime(true));
        if ($r['status'] !== 'rolled-back') {
            throw new UserError("tenant $tenant: rolling back the upgrade that stopped half-way failed: " . ($r['rollbackError'] ?? '?'), ExitCode::ROLLBACK_FAILED);
        }
        return $r;
    }

    /**
     * Back to the old release with the pre-upgrade archive: maintenance, archive restored, old
     * release pinned, cache emptied, served, verified. Failing, the tenant stays in maintenance and
     * the marker stays, so the next `upgrade` of it tries again.
     *
     * @param array<string, mixed> $report
     * @return array<string, mixed>
     */
    private function rollBack(string $tenant, string $from, string $archive, array $report, ?string $log, float $down): array
    {
        try {
            $entry = $this->entry($tenant);
            if (($entry['state'] ?? '') !== 'maintenance') {
                $this->step('rollback: maintenance', fn () => $this->registry->setState($tenant, 'maintenance'));
            }
            $this->step('rollback: restore', fn () => (new TenantArchive($this->paths, $this->config))->restoreInto($archive, $tenant, $tenant));
            $this->step('rollback: pin', fn () => $this->registry->setRelease($tenant, $from));
            $this->emptyCache($tenant);
            $this->step('rollback: serve', fn () => $this->registry->setState($tenant, 'ready'));
            $report['maintenanceSeconds'] = round(microtime(true) - $down, 3);
            @unlink($this->marker($tenant));
        } catch (\Throwable $e) {
            return $report + ['status' => 'rollback-failed', 'rollbackError' => self::describe($e), 'steps' => $this->steps];
        }
        try {
            $this->verify($this->entry($tenant), $log, $log !== null && is_file($log) ? (int) filesize($log) : 0);
            $report['servingAgain'] = true;
        } catch (\Throwable $e) {
            $report['servingAgain'] = false;
            $report['verifyAfterRollback'] = self::describe($e);
        }
        return $report + ['status' => 'rolled-back', 'steps' => $this->steps];
    }

    /** @return array<string, mixed> the Migrator's report for the core schema set */
    private function database(array $entry, string $toDir): array
    {
        $db = Db::tenant($entry);
        try {
            $db->joomlaSqlMode();
            $migrator = new Migrator($db, (string) $entry['db']['prefix']);
            $out = [];
            foreach (\MokoWaaS\Command\MigrateCommand::schemaSets($toDir) as $set) {
                try {
                    $out[$set->name] = $migrator->apply($set);
                } catch (MigrationFailure $f) {
                    $e = $f->toArray();
                    throw new \RuntimeException("{$e['file']} line {$e['line']}: {$e['error']} (statement: {$e['statement']})", 0, $f);
                }
            }
            return $out;
        } finally {
            $db->close();
        }
    }

    /** @return array<string, mixed> what Joomla's finalisation reported (its collected errors are not fatal to it either) */
    private function finalise(string $tenant, array $entry, string $fromVersion, string $toDir): array
    {
        $this->emptyCache($tenant);
        [$code, $out, $err] = TenantProcess::capture($this->paths, $tenant, ["$toDir/mokowaas/finalise-update.php", $fromVersion]);
        $lines = array_values(array_filter(explode("\n", trim($out)), static fn (string $l): bool => str_starts_with($l, '{"ok"')));
        $result = $lines === [] ? null : json_decode(end($lines), true);
        if ($code !== 0 || !is_array($result) || ($result['ok'] ?? false) !== true) {
            $why = is_array($result) ? implode('; ', array_map('strval', $result['errors'] ?? [])) : trim($err . "\n" . $out);
            throw new \RuntimeException("Joomla's update finalisation failed (exit $code): " . ($why !== '' ? $why : 'no output'));
        }
        $db = Db::tenant($entry);
        try {
            $prefix = (string) $entry['db']['prefix'];
            JoomlaGuardrails::apply($db, static fn (string $table): string => Db::ident($prefix . $table));
        } finally {
            $db->close();
        }
        return $result;
    }

    /**
     * The tenant's pages after the move: each served page host answers 200 with the site name, the
     * administrator login page answers 200, and its PHP error log has nothing new that is an error.
     */
    private function verify(array $entry, ?string $log, int $logOffset): void
    {
        $dev = (string) $entry['hosts']['dev'];
        $hosts = $entry['online'] === true ? [$dev, (string) $entry['hosts']['production']] : [$dev];
        $name = htmlspecialchars((string) $entry['siteName'], ENT_QUOTES | ENT_HTML5);
        foreach ($hosts as $host) {
            $this->expectPage($host, '/', static fn (string $body): bool => str_contains($body, $name) || str_contains($body, (string) $entry['siteName']), 'the site name');
        }
        $this->expectPage($dev, '/administrator/', static fn (string $body): bool => str_contains($body, 'name="username"') || str_contains($body, 'mod-login-username'), 'the login form');
        if ($log !== null && is_file($log)) {
            clearstatcache(true, $log);
            $new = (string) file_get_contents($log, false, null, min($logOffset, (int) filesize($log)));
            $errors = array_values(array_filter(explode("\n", $new), static fn (string $l): bool => (bool) preg_match(self::PHP_ERROR, $l)));
            if ($errors !== []) {
                throw new \RuntimeException(count($errors) . ' new PHP error(s) in ' . $log . ': ' . mb_strimwidth($errors[0], 0, 400, '...'));
            }
        }
    }

    /**
     * GET until 200 with what $ok looks for, for about 3 s: the registry's files that just changed
     * reach PHP-FPM's workers within opcache's 1 s revalidation (a worker may answer from the old
     * state meanwhile), and a pool that was just reloaded answers 503 for a moment.
     */
    private function expectPage(string $host, string $path, callable $ok, string $what): void
    {
        $last = '';
        for ($try = 0; $try < 7; $try++) {
            $r = LocalWeb::get($this->config, $host, $path, 30, 'mokowaas-upgrade');
            if ($r['status'] === 200 && $ok($r['body'])) {
                return;
            }
            $text = trim((string) preg_replace('/\s+/', ' ', strip_tags((string) preg_replace('~<(script|style)\b.*?</\1>~is', '', $r['body']))));
            $last = $r['status'] === 0 ? "no answer ({$r['error']})"
                : "HTTP {$r['status']}" . ($r['status'] === 200 ? " without $what" : '') . ($text !== '' ? ': ' . mb_strimwidth($text, 0, 300, '...') : '');
            usleep(500_000);
        }
        throw new \RuntimeException("https://$host$path: $last");
    }

    /** The tenant's Joomla cache belongs to one release's code: emptied on every move. */
    private function emptyCache(string $tenant): void
    {
        foreach (glob($this->paths->tenant($tenant) . '/cache/{,.}[!.]*', GLOB_BRACE) ?: [] as $item) {
            TenantArchive::removeTree($item);
        }
    }

    /**
     * @template T
     * @param callable(): T $fn
     * @return T
     */
    private function step(string $name, callable $fn): mixed
    {
        $t = microtime(true);
        try {
            return $fn();
        } finally {
            $this->steps[] = ['step' => $name, 'seconds' => round(microtime(true) - $t, 3)];
        }
    }

    private function entry(string $tenant): array
    {
        return $this->registry->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
    }

    private function marker(string $tenant): string
    {
        return $this->paths->tenant($tenant) . '/' . self::MARKER;
    }

    private static function describe(\Throwable $e): string
    {
        return $e instanceof UserError || $e instanceof \RuntimeException ? $e->getMessage() : get_class($e) . ': ' . $e->getMessage();
    }
}
