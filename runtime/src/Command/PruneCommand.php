<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\BorgFailure;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantArchive;

final class PruneCommand extends Command
{
    public static function summary(): string
    {
        return "drop tenants' old nightly archives by each tenant's own retention";
    }

    public static function usage(): string
    {
        return "usage: mokowaas prune (<tenant> | --all)\n"
            . "  keeps backup.keep {daily, weekly, monthly} of the entry (default 7/4/6) of the tenant's own\n"
            . "  untagged archives; never touches another tenant's or tagged (final, pre-restore) archives";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, [], ['all']);
        $registry = new Registry($this->paths);
        $archive = new TenantArchive($this->paths, PlatformConfig::load($this->paths));
        $failed = 0;
        foreach (BackupCommand::tenantsFrom($args, $registry) as $t) {
            try {
                $out = trim($archive->prune($t, $registry->get($t) ?? []));
                $this->out($out === '' ? "$t: pruned" : "$t:\n$out");
            } catch (BorgFailure $e) {
                $failed++;
                $this->err("$t: prune FAILED: " . $e->getMessage());
            }
        }
        try {
            $archive->borg()->compact();
        } catch (BorgFailure $e) {
            $failed++;
            $this->err('compact FAILED: ' . $e->getMessage());
        }
        return $failed > 0 ? ExitCode::FAILED : ExitCode::OK;
    }
}
