<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantArchive;

final class BackupsCommand extends Command
{
    public static function summary(): string
    {
        return "list a tenant's archives";
    }

    public static function usage(): string
    {
        return "usage: mokowaas backups <tenant> [--json]   (also works after offboarding: archives outlive the entry)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, [], ['json']);
        $tenant = $args->arg(0, 'tenant');
        Registry::assertTenantName($tenant);
        $list = (new TenantArchive($this->paths, PlatformConfig::load($this->paths)))->list($tenant);
        $rows = array_map(static fn (array $a): array => [
            'archive' => $a['name'], 'tag' => $a['tag'],
            'time' => $a['time'] !== null ? gmdate('Y-m-d\TH:i:s\Z', (int) $a['time']) : null,
        ], $list);
        if ($args->flag('json')) {
            $this->json($rows);
        } else {
            foreach ($rows as $r) {
                $this->out(sprintf('%-50s %-12s %s', $r['archive'], $r['tag'] ?? '-', $r['time'] ?? '?'));
            }
        }
        return ExitCode::OK;
    }
}
