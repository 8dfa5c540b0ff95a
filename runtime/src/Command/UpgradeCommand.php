<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Lock;
use MokoWaaS\Registry;
use MokoWaaS\Releases;
use MokoWaaS\TenantUpgrade;

/**
 * `mokowaas upgrade <tenant> --release <ID>`: one tenant to another release, with archive,
 * maintenance, verification and rollback (TenantUpgrade). `--all`: the fleet on this server, a
 * canary first (one at a time), then the rest N at a time (child processes, one tenant each), and
 * no new tenant started once more than M have failed.
 */
final class UpgradeCommand extends Command
{
    public static function summary(): string
    {
        return 'move a tenant to another Joomla release: archive, maintenance, database updates, verification, rollback on failure';
    }

    public static function usage(): string
    {
        return "usage: mokowaas upgrade (<tenant> | --all [--concurrency N] [--canary C] [--max-failures M]) --release <ID> [--json] [--lock-wait S]\n"
            . "  ID: a release laid down beside the others (`mokowaas release list`). Steps: pre-upgrade Borg archive\n"
            . "  (<tenant>-pre-upgrade-<time>), every host of the tenant 503 \"maintenance\", pinned to ID, Joomla's database\n"
            . "  updates and update finalisation, served again, verified (site name 200, administrator login 200, no new\n"
            . "  PHP error); on any failure after the archive: archive restored, old release pinned, served again.\n"
            . "  --lock-wait  seconds to wait for the tenant's lock (default 600)\n"
            . "  --all: every ready tenant not on ID yet; the first C (default 1) one at a time, then the others N at a time\n"
            . "  (default 1); once more than M (default 0) have failed, no further tenant is started (reported not-started).\n"
            . "  A summary follows; exit 0 all upgraded, 1 any failed or not started, 8 any rollback failed.\n"
            . "exit codes: 0 upgraded (or already on ID), 1 failed and rolled back (serving on its old release), 2 usage,\n"
            . "  3 not a release id, 4 tenant not ready or release not laid down, 5 locked, 6 the tenant is held on another\n"
            . "  release (its entry's holdRelease, from the tenant YAML's joomlaRelease; --all reports it `held`), 7 skipped: the archive failed,\n"
            . "  nothing changed, 8 failed and the rollback failed too (the tenant stays in maintenance; run it again)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['release', 'lock-wait', 'concurrency', 'canary', 'max-failures'], ['json', 'all']);
        if ($args->flag('all')) {
            return $this->fleet($args);
        }
        if (count($args->positional) !== 1) {
            throw new UserError('give one tenant: upgrade <tenant> --release <ID>', ExitCode::USAGE);
        }
        $tenant = $args->arg(0, 'tenant');
        Registry::assertTenantName($tenant);
        $release = $args->option('release') ?? throw new UserError('missing --release <ID>', ExitCode::USAGE);
        if ((new Registry($this->paths))->get($tenant) === null) {
            throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
        }
        $lock = Lock::tenant($this->paths, $tenant, (float) $args->option('lock-wait', '600'));
        try {
            $report = (new TenantUpgrade($this->paths))->run($tenant, $release);
        } finally {
            $lock->release();
        }
        if ($args->flag('json')) {
            $this->json($report);
        } else {
            $this->report($report);
        }
        return match ($report['status']) {
            'upgraded', 'up-to-date' => ExitCode::OK,
            'skipped' => ExitCode::SKIPPED,
            'rollback-failed' => ExitCode::ROLLBACK_FAILED,
            default => ExitCode::FAILED,
        };
    }

    private function fleet(Args $args): int
    {
        if ($args->positional !== []) {
            throw new UserError('give one tenant or --all, not both', ExitCode::USAGE);
        }
        $release = $args->option('release') ?? throw new UserError('missing --release <ID>', ExitCode::USAGE);
        $int = static function (string $name, string $default, int $min, int $max) use ($args): int {
            $v = $args->option($name, $default);
            if (!ctype_digit($v) || (int) $v < $min || (int) $v > $max) {
                throw new UserError("--$name must be a whole number from $min to $max, got \"$v\"", ExitCode::USAGE);
            }
            return (int) $v;
        };
        $concurrency = $int('concurrency', '1', 1, 32);
        $canary = $int('canary', '1', 0, 100000);
        $maxFailures = $int('max-failures', '0', 0, 100000);
        $lockWait = $args->option('lock-wait', '600');
        $releases = new Releases($this->paths);
        $releases->servable($release);
        $registry = new Registry($this->paths);
        $reports = [];
        $todo = [];
        foreach ($registry->tenants() as $t) {
            $entry = $registry->get($t);
            if ($entry === null) {
                continue;
            }
            if ($releases->idOf($entry) === $release) {
                $reports[$t] = ['tenant' => $t, 'status' => 'up-to-date', 'to' => $release];
            } elseif (is_string($entry['holdRelease'] ?? null) && $entry['holdRelease'] !== $release) {
                $reports[$t] = ['tenant' => $t, 'status' => 'held', 'release' => $releases->idOf($entry), 'holdRelease' => $entry['holdRelease']];
            } elseif (($entry['state'] ?? '') !== 'ready') {
                $reports[$t] = ['tenant' => $t, 'status' => 'not-ready', 'state' => $entry['state'] ?? null];
            } else {
                $todo[] = $t;
            }
        }
        $failed = 0;
        $finished = 0;
        $stopped = false;
        $running = [];
        $started = microtime(true);
        while ($todo !== [] || $running !== []) {
            // Canary tenants one at a time (none running beside them), then up to N at once.
            $slots = $finished < $canary ? 1 : $concurrency;
            while (!$stopped && $todo !== [] && count($running) < $slots) {
                $t = array_shift($todo);
                $running[$t] = $this->child($t, $release, $lockWait);
            }
            foreach ($running as $t => $child) {
                $report = $this->finished($t, $child);
                if ($report === null) {
                    continue;
                }
                unset($running[$t]);
                $finished++;
                $reports[$t] = $report;
                if (!in_array($report['status'], ['upgraded', 'up-to-date'], true)) {
                    $failed++;
                }
                if (!$args->flag('json')) {
                    $this->report($report);
                }
            }
            // @mago-expect analysis:redundant-logical-operation ($stopped is set below, on an earlier pass of this loop)
            if ($failed > $maxFailures && !$stopped) {
                $stopped = true;
                foreach ($todo as $t) {
                    $reports[$t] = ['tenant' => $t, 'status' => 'not-started', 'reason' => "more than $maxFailures failed"];
                }
                $todo = [];
            }
            if ($running !== []) {
                usleep(100_000);
            }
        }
        ksort($reports, SORT_STRING);
        $summary = array_count_values(array_map(static fn (array $r): string => (string) $r['status'], $reports));
        $windows = array_values(array_filter(array_map(static fn (array $r): ?float => $r['status'] === 'upgraded' ? (float) $r['maintenanceSeconds'] : null, $reports), 'is_float'));
        sort($windows);
        $out = ['release' => $release, 'stopped' => $stopped, 'summary' => $summary, 'seconds' => round(microtime(true) - $started, 3),
            'maintenanceSeconds' => $windows === [] ? null : ['median' => $windows[intdiv(count($windows), 2)], 'max' => end($windows)],
            'tenants' => array_values($reports)];
        if ($args->flag('json')) {
            $this->json($out);
        } else {
            $this->out("upgrade to $release: " . implode(', ', array_map(static fn (string $k, int $n): string => "$n $k", array_keys($summary), $summary))
                . ($stopped ? " (stopped: more than $maxFailures failed)" : '') . sprintf(' in %.1f s', $out['seconds']));
        }
        if (($summary['rollback-failed'] ?? 0) > 0) {
            return ExitCode::ROLLBACK_FAILED;
        }
        return $failed > 0 || $stopped ? ExitCode::FAILED : ExitCode::OK;
    }

    /** @return array{0: resource, 1: resource, 2: resource} `upgrade <t> --json` as a child process, its stdout and stderr files */
    private function child(string $tenant, string $release, string $lockWait): array
    {
        $out = tmpfile();
        $err = tmpfile();
        $cmd = [PHP_BINARY, dirname(__DIR__, 2) . '/bin/mokowaas', 'upgrade', $tenant, '--release', $release, '--json', '--lock-wait', $lockWait];
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => $out, 2 => $err], $pipes);
        if (!is_resource($proc) || $out === false || $err === false) {
            throw new \RuntimeException("cannot start the upgrade of $tenant");
        }
        return [$proc, $out, $err];
    }

    /**
     * @param array{0: resource, 1: resource, 2: resource} $child
     * @return array<string, mixed>|null its report once it has exited
     */
    private function finished(string $tenant, array $child): ?array
    {
        [$proc, $out, $err] = $child;
        $status = proc_get_status($proc);
        if ($status['running']) {
            return null;
        }
        proc_close($proc);
        rewind($out);
        rewind($err);
        $report = json_decode((string) stream_get_contents($out), true);
        $stderr = trim((string) stream_get_contents($err));
        return is_array($report) && isset($report['status']) ? $report
            : ['tenant' => $tenant, 'status' => 'failed', 'error' => $stderr !== '' ? $stderr : "exited with {$status['exitcode']}"];
    }

    /** @param array<string, mixed> $r */
    private function report(array $r): void
    {
        $t = $r['tenant'];
        if (isset($r['repaired'])) {
            $this->out("$t: rolled back an upgrade that had stopped half-way ({$r['repaired']['archive']})");
        }
        match ($r['status']) {
            'up-to-date' => $this->out("$t: already on {$r['to']}"),
            'upgraded' => $this->out("$t: upgraded {$r['from']} -> {$r['to']} (archive {$r['archive']}, 503 for {$r['maintenanceSeconds']} s)"),
            'skipped' => $this->err("$t: SKIPPED, nothing changed: the pre-upgrade archive failed: {$r['error']}"),
            'rolled-back' => $this->err("$t: FAILED at {$r['step']}: {$r['error']}\n$t: rolled back to {$r['from']} from {$r['archive']}"
                . (($r['servingAgain'] ?? false) ? ', serving again' : ', but its check after the rollback failed: ' . ($r['verifyAfterRollback'] ?? '?'))),
            default => $this->err("$t: FAILED at {$r['step']}: {$r['error']}\n$t: ROLLBACK FAILED: {$r['rollbackError']} (the tenant stays in maintenance; run `mokowaas upgrade $t --release {$r['to']}` again to retry the rollback)"),
        };
    }
}
