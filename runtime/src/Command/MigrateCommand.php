<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Db;
use MokoWaaS\JoomlaGuardrails;
use MokoWaaS\Lock;
use MokoWaaS\Registry;
use MokoWaaS\ReleaseExtensions;
use MokoWaaS\Releases;
use MokoWaaS\Schema\MigrationFailure;
use MokoWaaS\Schema\Migrator;
use MokoWaaS\Schema\SchemaSet;

/**
 * "File updates once, DB migrations N times": applies a release's pending update files to every
 * tenant database, each under its tenant lock, with Joomla's ordering and #__schemas bookkeeping.
 * One tenant's failure is reported (file, line, statement, error) and the others go on; a re-run
 * resumes a file stopped half-way (failure, MySQL killed) where it stopped (Migrator). After its
 * schemas, each tenant gets the platform's guardrails again (JoomlaGuardrails: its plugin, automated
 * core updates off), so existing tenants get what new ones are seeded with.
 */
final class MigrateCommand extends Command
{
    public static function summary(): string
    {
        return 'apply pending Joomla update files to tenant databases';
    }

    public static function usage(): string
    {
        return "usage: mokowaas migrate (--tenant T [--tenant T2]... | --all) [--release DIR] [--dry-run] [--concurrency N] [--json] [--lock-wait S]\n"
            . "  --release      Joomla release folder (default: each tenant's own release, its registry pin)\n"
            . "  --lock-wait    seconds to wait for a tenant's lock held by another run (default 600)\n"
            . "  --dry-run      list the pending update files per tenant, change nothing\n"
            . "  --concurrency  tenants migrated in parallel (child processes), default 1\n"
            . "  exit 0 when every tenant is up to date, 1 when any failed (the others still ran), 5 locked";
    }

    public function run(array $argv): int
    {
        // --tenant may repeat: the parent of a --concurrency run hands each child its share that way.
        $args = Args::parse($argv, ['release', 'concurrency', 'lock-wait'], ['all', 'dry-run', 'json'], ['tenant']);
        $registry = new Registry($this->paths);
        $named = $args->all('tenant');
        if (($named === []) === !$args->flag('all')) {
            throw new UserError('give exactly one of --tenant T or --all', ExitCode::USAGE);
        }
        $concurrency = $args->option('concurrency', '1');
        if (!ctype_digit($concurrency) || (int) $concurrency < 1 || (int) $concurrency > 64) {
            throw new UserError("--concurrency must be a whole number from 1 to 64, got \"$concurrency\"", ExitCode::USAGE);
        }
        $lockWait = (float) $args->option('lock-wait', '600');
        $release = $args->option('release');
        $releaseDir = $release === null ? null : realpath($release);
        if ($releaseDir === false || ($releaseDir !== null && !is_dir($releaseDir))) {
            throw new UserError("release folder $release does not exist", ExitCode::NOT_READY);
        }
        $sets = $releaseDir === null ? null : self::schemaSets($releaseDir);
        $dry = $args->flag('dry-run');
        if ($named !== []) {
            foreach ($named as $tenant) {
                Registry::assertTenantName($tenant);
                if ($registry->get($tenant) === null) {
                    throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
                }
            }
            $tenants = array_values(array_unique($named));
        } else {
            $tenants = $registry->tenants();
        }
        $results = (int) $concurrency > 1 && count($tenants) > 1
            ? $this->inChildren($tenants, $releaseDir, $dry, (int) $concurrency, $lockWait)
            : array_map(fn (string $t): array => $this->migrateTenant($registry, $t, $sets, $dry, $lockWait), $tenants);
        $failed = count(array_filter($results, static fn (array $r): bool => $r['status'] === 'failed'));
        if ($args->flag('json')) {
            $this->json(['release' => $releaseDir ?? 'pinned', 'dryRun' => $dry, 'tenants' => $results, 'failed' => $failed]);
        } else {
            foreach ($results as $r) {
                $this->report($r);
            }
            $this->out(sprintf('%d tenant(s), %d failed', count($results), $failed));
        }
        return $failed > 0 ? ExitCode::FAILED : ExitCode::OK;
    }

    /**
     * The schema sets a release carries: core, then each of the release's extensions with MySQL
     * update files (ReleaseExtensions), which apply to the tenants that have it installed.
     *
     * @return list<SchemaSet>
     */
    public static function schemaSets(string $releaseDir): array
    {
        return [SchemaSet::core($releaseDir), ...ReleaseExtensions::schemaSets($releaseDir)];
    }

    /**
     * @param list<SchemaSet>|null $sets null: those of the tenant's own release
     * @return array<string, mixed>
     */
    private function migrateTenant(Registry $registry, string $tenant, ?array $sets, bool $dry, float $lockWait): array
    {
        $result = ['tenant' => $tenant, 'status' => 'up-to-date', 'schemas' => []];
        try {
            $entry = $registry->get($tenant);
            if ($entry === null || ($entry['state'] ?? '') !== 'ready') {
                return ['tenant' => $tenant, 'status' => 'skipped', 'reason' => 'state is ' . ($entry['state'] ?? 'gone') . ', not ready'];
            }
            $sets ??= self::schemaSets((new Releases($this->paths))->dirOf($entry));
            $lock = Lock::tenant($this->paths, $tenant, $lockWait);
            $db = Db::tenant($entry);
            $db->joomlaSqlMode();
            $migrator = new Migrator($db, (string) $entry['db']['prefix']);
            foreach ($sets as $set) {
                if ($set->name !== 'core' && !$migrator->installed($set)) {
                    continue; // an extension this tenant does not use
                }
                $s = ['schema' => $set->name];
                if ($dry) {
                    $eid = $migrator->extensionId($set);
                    $s['from'] = $migrator->currentVersion($eid);
                    $s['pending'] = $set->pendingAfter($s['from']);
                    if ($s['pending'] !== []) {
                        $result['status'] = 'pending';
                    }
                } else {
                    try {
                        $r = $migrator->apply($set);
                        $s += $r;
                        if ($r['applied'] !== []) {
                            $result['status'] = 'migrated';
                        }
                    } catch (MigrationFailure $f) {
                        $s['applied'] = [];
                        $result['status'] = 'failed';
                        $result['error'] = $f->toArray();
                    }
                    try {
                        $s['version'] = $migrator->currentVersion($migrator->extensionId($set));
                    } catch (\mysqli_sql_exception $e) {
                        // The server is gone (killed, restarted): keep the failure that names the file and statement.
                        if ($result['status'] !== 'failed') {
                            throw $e;
                        }
                    }
                }
                $result['schemas'][] = $s;
                if ($result['status'] === 'failed') {
                    break;
                }
            }
            if (!$dry && $result['status'] !== 'failed') {
                $prefix = (string) $entry['db']['prefix'];
                JoomlaGuardrails::apply($db, static fn (string $table): string => Db::ident($prefix . $table));
            }
            $db->close();
            $lock->release();
        } catch (UserError | \mysqli_sql_exception $e) {
            $result['status'] = 'failed';
            $result['error'] = ['error' => $e->getMessage()];
        }
        return $result;
    }

    /**
     * Runs `migrate --tenant A --tenant B ... --json` in $n child processes, each taking every n-th
     * tenant (one PHP start per child, not per tenant), and merges their reports in tenant order.
     *
     * @param list<string> $tenants
     * @return list<array<string, mixed>>
     */
    private function inChildren(array $tenants, ?string $release, bool $dry, int $n, float $lockWait): array
    {
        $bin = dirname(__DIR__, 2) . '/bin/mokowaas';
        $shards = [];
        foreach ($tenants as $i => $t) {
            $shards[$i % $n][] = $t;
        }
        $children = [];
        foreach ($shards as $k => $shard) {
            $cmd = [PHP_BINARY, $bin, 'migrate', ...($release === null ? [] : ['--release', $release]), '--json', '--lock-wait', (string) $lockWait];
            foreach ($shard as $t) {
                array_push($cmd, '--tenant', $t);
            }
            if ($dry) {
                $cmd[] = '--dry-run';
            }
            $out = tmpfile();
            $err = tmpfile();
            $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => $out, 2 => $err], $pipes);
            $children[$k] = [$proc, $out, $err, $shard];
        }
        $results = [];
        foreach ($children as [$proc, $out, $err, $shard]) {
            $code = is_resource($proc) ? proc_close($proc) : -1;
            rewind($out);
            rewind($err);
            $json = json_decode((string) stream_get_contents($out), true);
            $stderr = trim((string) stream_get_contents($err));
            foreach ($shard as $t) {
                $mine = is_array($json) ? array_values(array_filter($json['tenants'] ?? [], static fn ($r): bool => ($r['tenant'] ?? null) === $t)) : [];
                $results[$t] = $mine[0] ?? ['tenant' => $t, 'status' => 'failed', 'error' => ['error' => $stderr !== '' ? $stderr : "child exited with $code"]];
            }
        }
        return array_map(static fn (string $t): array => $results[$t], $tenants);
    }

    /** @param array<string, mixed> $r */
    private function report(array $r): void
    {
        $t = $r['tenant'];
        switch ($r['status']) {
            case 'failed':
                $e = $r['error'];
                $this->err(isset($e['file'])
                    ? "$t: FAILED in {$e['file']} line {$e['line']}: {$e['error']}\n  statement: {$e['statement']}"
                    : "$t: FAILED: {$e['error']}");
                break;
            case 'skipped':
                $this->out("$t: skipped ({$r['reason']})");
                break;
            default:
                foreach ($r['schemas'] as $s) {
                    $files = $s['pending'] ?? $s['applied'] ?? [];
                    $what = isset($s['pending']) ? 'pending' : 'applied';
                    $resumed = isset($s['resumed']) ? " (resumed {$s['resumed']['file']} at line {$s['resumed']['line']}, where an earlier run stopped)" : '';
                    $this->out("$t: {$s['schema']} " . ($files === [] ? 'up to date' : "$what " . implode(', ', $files)) . $resumed);
                }
        }
    }
}
