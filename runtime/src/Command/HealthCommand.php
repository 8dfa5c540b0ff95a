<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\AtomicFile;
use MokoWaaS\Borg;
use MokoWaaS\CertificateCap;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Db;
use MokoWaaS\DiskSpace;
use MokoWaaS\Hooks;
use MokoWaaS\LocalWeb;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantAccount;
use MokoWaaS\TenantArchive;

/**
 * Per-tenant health: its database with its own credentials, its folders writable by the PHP user,
 * its dev and production hosts answering through the local web server (Host and SNI set to the
 * tenant's host), the age of its newest archive. Then the platform's hook URLs are pinged: the
 * success hooks when all is well, the failure hooks otherwise (short timeouts, never blocking).
 */
final class HealthCommand extends Command
{
    private const HTTP_TIMEOUT = 5;
    private const DEFAULT_MAX_BACKUP_AGE_HOURS = 26;

    public static function summary(): string
    {
        return 'check every tenant (database, folders, hosts, backups) and ping the health hooks';
    }

    public static function usage(): string
    {
        return "usage: mokowaas health [--json] [--prometheus FILE] [--no-hooks]\n"
            . "  exit 0 when every check passed, 1 otherwise; hooks: platform config hooks.success / hooks.failure";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['prometheus'], ['json', 'no-hooks']);
        $config = PlatformConfig::load($this->paths);
        $registry = new Registry($this->paths);
        $maxAge = (float) ($config->toArray()['backupMaxAgeHours'] ?? self::DEFAULT_MAX_BACKUP_AGE_HOURS) * 3600;
        [$newest, $borgError] = $this->newestArchives($config);
        $accounts = new TenantAccount($this->paths);
        $report = [];
        foreach ($registry->tenants() as $t) {
            $entry = $registry->get($t);
            if ($entry === null) {
                continue;
            }
            $state = (string) ($entry['state'] ?? 'provisioning');
            // Its folders must be writable by the user its pool runs as: the tenant's own.
            $user = posix_geteuid() === 0 ? (($a = $accounts->get($t)) !== null ? posix_getpwnam($a['name']) ?: null : false) : null;
            $checks = ['db' => $this->checkDb($entry, $state === 'ready'), 'folders' => $this->checkFolders($registry->tenantDir($t), $user)];
            if ($state === 'ready') {
                $checks['dev'] = $this->checkHost($config, $entry['hosts']['dev'], false);
                $checks['production'] = $this->checkHost($config, $entry['hosts']['production'], !($entry['online'] ?? false));
                $checks['backup'] = $this->checkBackup($newest[$t] ?? null, $borgError, $maxAge);
            }
            $ok = !in_array(false, array_column($checks, 'ok'), true);
            $report[] = ['tenant' => $t, 'state' => $state, 'ok' => $ok, 'checks' => $checks];
        }
        // Platform-wide checks: disk space, the certificate cap, and the restore drill when the
        // platform runs one (drillMaxAgeHours).
        $platform = ['disk' => $this->checkDisk($config), 'certificates' => $this->checkCertificates()];
        if (($drillMax = $config->drillMaxAgeHours()) !== null) {
            $platform['drill'] = $this->checkDrill($drillMax * 3600);
        }
        $allOk = !in_array(false, array_column($report, 'ok'), true) && !in_array(false, array_column($platform, 'ok'), true);
        $result = ['ok' => $allOk, 'checkedAt' => gmdate('Y-m-d\TH:i:s\Z'), 'platform' => $platform, 'tenants' => $report];
        if (($file = $args->option('prometheus')) !== null) {
            AtomicFile::write($file, self::prometheus($result), 0644);
        }
        if (!$args->flag('no-hooks')) {
            $this->pingHooks($config->hooks($allOk ? 'success' : 'failure'), $result);
        }
        if ($args->flag('json')) {
            $this->json($result);
        } else {
            foreach ($platform as $name => $c) {
                $this->out(sprintf('%-32s %-12s %s', "platform $name", '', $c['ok'] ? "ok ({$c['detail']})" : "FAILING: {$c['detail']}"));
            }
            foreach ($report as $r) {
                $bad = array_keys(array_filter($r['checks'], static fn (array $c): bool => !$c['ok']));
                $this->out(sprintf('%-32s %-12s %s', $r['tenant'], $r['state'], $r['ok'] ? 'ok' : 'FAILING: ' . implode(', ', array_map(
                    static fn (string $k): string => "$k ({$r['checks'][$k]['detail']})", $bad))));
            }
            $this->out($allOk ? 'all healthy' : 'unhealthy');
        }
        return $allOk ? ExitCode::OK : ExitCode::FAILED;
    }

    /** @return array{0: array<string, array{name: string, time: float}>, 1: ?string} newest archive per tenant, or the Borg error */
    private function newestArchives(PlatformConfig $config): array
    {
        $newest = [];
        try {
            foreach (Borg::forPlatform($this->paths, $config)->archives('*') as $a) {
                if (!preg_match('/^mokowaas tenant=([a-z0-9-]+)/', $a['comment'], $m) || ($time = TenantArchive::timeOf($a['name'])) === null) {
                    continue;
                }
                if (!isset($newest[$m[1]]) || $newest[$m[1]]['time'] < $time) {
                    $newest[$m[1]] = ['name' => $a['name'], 'time' => $time];
                }
            }
            return [$newest, null];
        } catch (\RuntimeException $e) {
            return [[], $e->getMessage()];
        }
    }

    /**
     * Free space of the filesystems that hold the Borg repository and the tenants' folders: a full
     * one fails every backup and offboarding (and the sites' uploads), so it is reported before.
     *
     * @return array{ok: bool, detail: string, filesystems: list<array{holds: string, folder: string, freeBytes: int, minFreeBytes: int}>}
     */
    private function checkDisk(PlatformConfig $config): array
    {
        $min = (int) ($config->diskMinFreeMb() * 1048576);
        $filesystems = [];
        $bad = [];
        foreach (['borg' => $config->borgRepo($this->paths), 'tenants' => $this->paths->tenants()] as $holds => $path) {
            if (!str_starts_with($path, '/')) {
                continue; // a remote repository (ssh://): its host's disk is not ours to see
            }
            $fs = DiskSpace::of($path);
            if ($fs === null) {
                $bad[] = "$holds ($path): free space unknown";
                continue;
            }
            $filesystems[] = ['holds' => $holds, 'folder' => $fs['folder'], 'freeBytes' => $fs['freeBytes'], 'minFreeBytes' => $min];
            if ($fs['freeBytes'] < $min) {
                $bad[] = "$holds: " . DiskSpace::describe($path) . ', below ' . DiskSpace::mb($min);
            }
        }
        return ['ok' => $bad === [], 'detail' => $bad === [] ? 'at least ' . DiskSpace::mb($min) . ' free' : 'low disk space: ' . implode('; ', $bad), 'filesystems' => $filesystems];
    }

    /**
     * Hosts held back by the platform's certificate cap: reported, never a failure (they get their
     * certificate when the cap's windows have room). A cap without its state fails: no new host
     * would get a certificate.
     *
     * @return array{ok: bool, detail: string, newLast3Hours: int, waiting: array<string, array<string, mixed>>}
     */
    private function checkCertificates(): array
    {
        $r = (new CertificateCap($this->paths))->report(time());
        $detail = $r['policy'] === null ? 'no cap configured' : sprintf('%d new hosts in the last 3 h (cap %d; %d per registered domain a week)',
            $r['newLast3Hours'], $r['policy']['newPer3Hours'], $r['policy']['newPerDomainWeek']);
        if ($r['waiting'] !== []) {
            $detail .= '; waiting for a certificate: ' . implode(', ', array_keys($r['waiting']));
        }
        if (!$r['stateOk']) {
            $detail = 'the certificate cap has no state (' . $this->paths->certificateState() . '/state.json): run `mokowaas platform init` again';
        }
        return ['ok' => $r['stateOk'], 'detail' => $detail, 'newLast3Hours' => $r['newLast3Hours'], 'waiting' => $r['waiting']];
    }

    /** @param array<string, mixed> $entry @return array{ok: bool, detail: string} */
    private function checkDb(array $entry, bool $seeded): array
    {
        try {
            $db = Db::tenant($entry, 3);
            $db->value($seeded ? 'SELECT COUNT(*) FROM ' . Db::ident($entry['db']['prefix'] . 'extensions') : 'SELECT 1');
            $db->close();
            return ['ok' => true, 'detail' => 'reachable with the tenant account'];
        } catch (\Throwable $e) {
            return ['ok' => false, 'detail' => $e->getMessage()];
        }
    }

    /**
     * @param array<string, mixed>|false|null $phpUser posix_getpwnam() of the tenant's user; false: it has none (as root); null: not root
     * @return array{ok: bool, detail: string}
     */
    private function checkFolders(string $dir, array|false|null $phpUser): array
    {
        if ($phpUser === false) {
            return ['ok' => false, 'detail' => 'the tenant has no Unix user: run `mokowaas registry rebuild`'];
        }
        $bad = [];
        foreach (array_keys(Registry::FOLDERS) as $name) {
            $path = "$dir/$name";
            clearstatcache(true, $path);
            if (!is_dir($path)) {
                $bad[] = "$name missing";
            } elseif ($phpUser !== null && !self::writableBy($path, $phpUser)) {
                $bad[] = "$name not writable by {$phpUser['name']}";
            } elseif ($phpUser === null && !is_writable($path)) {
                $bad[] = "$name not writable";
            }
        }
        return $bad === [] ? ['ok' => true, 'detail' => 'writable'] : ['ok' => false, 'detail' => implode(', ', $bad)];
    }

    /** Whether the user may create files in $dir, from its owner, group and mode (the checker runs as root). @param array<string, mixed> $user */
    private static function writableBy(string $dir, array $user): bool
    {
        $st = stat($dir);
        if ($st === false) {
            return false;
        }
        $mode = $st['mode'];
        if ((int) $user['uid'] === 0) {
            return true;
        }
        if ($st['uid'] === (int) $user['uid']) {
            return ($mode & 0300) === 0300;
        }
        // The folder's group counts when it is the user's primary group or lists the user as a member.
        $group = posix_getgrgid($st['gid']);
        if ($st['gid'] === (int) $user['gid'] || (is_array($group) && in_array($user['name'], $group['members'], true))) {
            return ($mode & 0030) === 0030;
        }
        return ($mode & 0003) === 0003;
    }

    /**
     * GET / of $host through the local web server: the URL names the host (Host header and SNI),
     * CURLOPT_RESOLVE sends it to webUrl's address. An offline production host must answer the
     * 503 "coming soon" page; anything else must answer 2xx/3xx.
     *
     * @return array{ok: bool, detail: string}
     */
    private function checkHost(PlatformConfig $config, string $host, bool $offline): array
    {
        $r = LocalWeb::get($config, $host, '/', self::HTTP_TIMEOUT, 'mokowaas-health');
        $status = $r['status'];
        if ($status === 0) {
            return ['ok' => false, 'detail' => "no answer: {$r['error']}"];
        }
        if ($offline) {
            $comingSoon = $status === 503 && preg_match('/^retry-after:/mi', $r['head']);
            return ['ok' => (bool) $comingSoon, 'detail' => $comingSoon ? 'offline: 503 coming soon' : "offline but answered HTTP $status"];
        }
        return ['ok' => $status >= 200 && $status < 400, 'detail' => "HTTP $status"];
    }

    /** @param array{name: string, time: float}|null $newest @return array{ok: bool, detail: string, archive?: string, ageSeconds?: int} */
    private function checkBackup(?array $newest, ?string $borgError, float $maxAge): array
    {
        if ($borgError !== null) {
            return ['ok' => false, 'detail' => "cannot list archives: $borgError"];
        }
        if ($newest === null) {
            return ['ok' => false, 'detail' => 'no archive yet'];
        }
        $age = (int) max(0, time() - $newest['time']);
        return ['ok' => $age <= $maxAge, 'detail' => sprintf('newest archive %.1f h old', $age / 3600), 'archive' => $newest['name'], 'ageSeconds' => $age];
    }

    /**
     * The last restore drill (`mokowaas drill`, weekly): failed, missing or older than $maxAge fails.
     *
     * @return array{ok: bool, detail: string, ageSeconds?: int, finishedAt?: int, tenant?: string, archive?: string}
     */
    private function checkDrill(float $maxAge): array
    {
        $file = $this->paths->drillResult();
        if (!is_file($file)) {
            return ['ok' => false, 'detail' => 'no restore drill has run yet: run `mokowaas drill` (the weekly mokowaas-drill.timer)'];
        }
        $last = json_decode((string) @file_get_contents($file), true);
        $finished = is_array($last) && is_string($last['finishedAt'] ?? null) ? strtotime($last['finishedAt']) : false;
        if (!is_array($last) || $finished === false) {
            return ['ok' => false, 'detail' => "$file is not a drill result: run `mokowaas drill`"];
        }
        $age = (int) max(0, time() - $finished);
        $info = ['ageSeconds' => $age, 'finishedAt' => $finished] + array_filter(['tenant' => $last['tenant'] ?? null, 'archive' => $last['archive'] ?? null], 'is_string');
        $when = sprintf('%.1f h ago', $age / 3600);
        if (($last['ok'] ?? false) !== true) {
            return ['ok' => false, 'detail' => "the last restore drill failed $when: " . (string) ($last['detail'] ?? '?')] + $info;
        }
        if ($age > $maxAge) {
            return ['ok' => false, 'detail' => "the last restore drill is too old (passed $when)"] + $info;
        }
        return ['ok' => true, 'detail' => "passed $when" . (isset($info['tenant']) ? " ({$info['tenant']})" : '')] + $info;
    }

    /** @param array<string, mixed> $result */
    private static function prometheus(array $result): string
    {
        $esc = static fn (string $v): string => addcslashes($v, "\\\"\n");
        $lines = [
            '# HELP mokowaas_health_ok 1 when every check of the tenant passed.', '# TYPE mokowaas_health_ok gauge',
        ];
        $checks = ['# HELP mokowaas_check_ok 1 when the check passed.', '# TYPE mokowaas_check_ok gauge'];
        $ages = ['# HELP mokowaas_backup_age_seconds Age of the tenant\'s newest archive.', '# TYPE mokowaas_backup_age_seconds gauge'];
        foreach ($result['tenants'] as $t) {
            $lines[] = sprintf('mokowaas_health_ok{tenant="%s"} %d', $esc($t['tenant']), $t['ok'] ? 1 : 0);
            foreach ($t['checks'] as $name => $c) {
                $checks[] = sprintf('mokowaas_check_ok{tenant="%s",check="%s"} %d', $esc($t['tenant']), $name, $c['ok'] ? 1 : 0);
            }
            if (isset($t['checks']['backup']['ageSeconds'])) {
                $ages[] = sprintf('mokowaas_backup_age_seconds{tenant="%s"} %d', $esc($t['tenant']), $t['checks']['backup']['ageSeconds']);
            }
        }
        $platform = ['# HELP mokowaas_platform_check_ok 1 when the platform check passed.', '# TYPE mokowaas_platform_check_ok gauge'];
        $disk = ['# HELP mokowaas_disk_free_bytes Free space of the filesystem holding the Borg repository or the tenants.', '# TYPE mokowaas_disk_free_bytes gauge'];
        foreach ($result['platform'] as $name => $c) {
            $platform[] = sprintf('mokowaas_platform_check_ok{check="%s"} %d', $name, $c['ok'] ? 1 : 0);
        }
        foreach ($result['platform']['disk']['filesystems'] as $fs) {
            $disk[] = sprintf('mokowaas_disk_free_bytes{holds="%s",folder="%s"} %d', $fs['holds'], $esc($fs['folder']), $fs['freeBytes']);
        }
        $certs = ['# HELP mokowaas_certificate_hosts_waiting Hosts the certificate cap holds back.', '# TYPE mokowaas_certificate_hosts_waiting gauge',
            'mokowaas_certificate_hosts_waiting ' . count($result['platform']['certificates']['waiting']),
            '# HELP mokowaas_certificate_new_hosts_3h Hosts let through for a first certificate in the last 3 hours.', '# TYPE mokowaas_certificate_new_hosts_3h gauge',
            'mokowaas_certificate_new_hosts_3h ' . $result['platform']['certificates']['newLast3Hours']];
        $drill = [];
        if (isset($result['platform']['drill'])) {
            $d = $result['platform']['drill'];
            $drill = ['# HELP mokowaas_drill_ok 1 when the last restore drill passed and is recent enough.', '# TYPE mokowaas_drill_ok gauge', 'mokowaas_drill_ok ' . ($d['ok'] ? 1 : 0)];
            if (isset($d['finishedAt'])) {
                array_push($drill, '# HELP mokowaas_drill_last_run_timestamp_seconds When the last restore drill ended.', '# TYPE mokowaas_drill_last_run_timestamp_seconds gauge',
                    'mokowaas_drill_last_run_timestamp_seconds ' . $d['finishedAt'],
                    '# HELP mokowaas_drill_age_seconds Age of the last restore drill.', '# TYPE mokowaas_drill_age_seconds gauge', 'mokowaas_drill_age_seconds ' . $d['ageSeconds']);
            }
        }
        return implode("\n", array_merge($lines, $checks, $ages, $platform, $disk, $certs, $drill, [
            '# HELP mokowaas_health_last_run_timestamp_seconds When the health check ran.', '# TYPE mokowaas_health_last_run_timestamp_seconds gauge',
            'mokowaas_health_last_run_timestamp_seconds ' . time(),
        ])) . "\n";
    }

    /** POSTs a summary (no secrets) to each hook. @param list<string> $urls @param array<string, mixed> $result */
    private function pingHooks(array $urls, array $result): void
    {
        $failing = [];
        foreach ($result['tenants'] as $t) {
            if (!$t['ok']) {
                $failing[$t['tenant']] = array_keys(array_filter($t['checks'], static fn (array $c): bool => !$c['ok']));
            }
        }
        $body = ['ok' => $result['ok'], 'checkedAt' => $result['checkedAt'], 'tenants' => count($result['tenants']), 'failing' => (object) $failing,
            'platformFailing' => array_keys(array_filter($result['platform'], static fn (array $c): bool => !$c['ok']))];
        foreach (Hooks::post($urls, $body, 'mokowaas-health') as $problem) {
            $this->err($problem);
        }
    }
}
