<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\AtomicFile;
use MokoWaaS\BorgFailure;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Dirs;
use MokoWaaS\Hooks;
use MokoWaaS\Lock;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\RestoreDrill;

/**
 * `mokowaas drill`: the weekly restore drill (RestoreDrill). Its result goes to
 * Paths::drillResult, which `health` reports (check and Prometheus); a failed drill pings the
 * platform's failure hooks at once.
 */
final class DrillCommand extends Command
{
    public static function summary(): string
    {
        return "restore a random tenant's newest archive into a scratch database and folder, check it, remove it";
    }

    public static function usage(): string
    {
        return "usage: mokowaas drill [--tenant T] [--json] [--no-hooks]\n"
            . "  restores the newest archive (safety archives excluded) of T, or of a random ready tenant, into a scratch\n"
            . "  database and folder (never the live tenant's), checks its table count against the archive's manifest and\n"
            . "  renders its home page with the served Joomla, then removes the scratch copy (also on failure).\n"
            . "  The result is kept for `health`; a failure pings the failure hooks (unless --no-hooks).\n"
            . "  exit 0 passed (or nothing to drill yet), 1 failed, 5 another drill is running";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['tenant'], ['json', 'no-hooks']);
        $tenant = $args->option('tenant');
        if ($tenant !== null) {
            Registry::assertTenantName($tenant);
        }
        $config = PlatformConfig::load($this->paths);
        $lock = Lock::acquire($this->paths, 'drill', 0);
        $started = microtime(true);
        $drill = new RestoreDrill($this->paths, $config);
        Dirs::make($this->paths->drill(), 0711);
        $leftovers = $drill->removeLeftovers();
        try {
            $picked = $drill->pick($tenant);
            $result = $picked === null
                ? ['ok' => true, 'skipped' => true, 'detail' => 'nothing to drill yet: no ready tenant has an archive']
                : ['tenant' => $picked['tenant'], 'archive' => $picked['archive']] + $drill->run($picked['tenant'], $picked['archive']);
        } catch (BorgFailure $e) {
            $result = ['ok' => false, 'detail' => $e->getMessage(), 'checks' => []];
        }
        if ($leftovers !== 'ok') {
            $result['ok'] = false;
            $result['detail'] .= "; leftovers of an earlier drill: $leftovers";
        }
        $result += ['startedAt' => gmdate('Y-m-d\TH:i:s\Z', (int) $started), 'finishedAt' => gmdate('Y-m-d\TH:i:s\Z'), 'seconds' => round(microtime(true) - $started, 1)];
        AtomicFile::write($this->paths->drillResult(), json_encode($result, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n", 0644);
        $lock->release();
        if (!$result['ok'] && !$args->flag('no-hooks')) {
            $body = ['event' => 'drill', 'ok' => false, 'tenant' => $result['tenant'] ?? null, 'archive' => $result['archive'] ?? null,
                'detail' => $result['detail'], 'finishedAt' => $result['finishedAt']];
            foreach (Hooks::post($config->hooks('failure'), $body, 'mokowaas-drill') as $problem) {
                $this->err($problem);
            }
        }
        if ($args->flag('json')) {
            $this->json($result);
        } else {
            $this->out(($result['ok'] ? 'drill passed: ' : 'drill FAILED: ') . (isset($result['tenant']) ? "{$result['tenant']} ({$result['archive']}): " : '') . $result['detail']);
        }
        return $result['ok'] ? ExitCode::OK : ExitCode::FAILED;
    }
}
