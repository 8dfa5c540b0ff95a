<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\BorgFailure;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Lock;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantArchive;

final class BackupCommand extends Command
{
    public static function summary(): string
    {
        return 'archive tenants (database dump, media, entry) into Borg';
    }

    public static function usage(): string
    {
        return "usage: mokowaas backup (<tenant> | --all) [--tag X]\n"
            . "  one archive per tenant: <tenant>-<UTC time> (with --tag: <tenant>-<tag>-<UTC time>, kept by prune)\n"
            . "  exit 1 when any tenant's archive failed (the others are still made)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['tag'], ['all']);
        $registry = new Registry($this->paths);
        $tenants = self::tenantsFrom($args, $registry);
        $archive = new TenantArchive($this->paths, PlatformConfig::load($this->paths));
        $failed = 0;
        foreach ($tenants as $t) {
            try {
                $lock = Lock::tenant($this->paths, $t);
                $name = $archive->backup($t, $args->option('tag'));
                $lock->release();
                $this->out("$t: archived as $name");
            } catch (BorgFailure | \RuntimeException $e) {
                if ($e instanceof UserError && count($tenants) === 1) {
                    throw $e;
                }
                $failed++;
                $this->err("$t: backup FAILED: " . $e->getMessage());
            }
        }
        return $failed > 0 ? ExitCode::FAILED : ExitCode::OK;
    }

    /** `<tenant>` or `--all` (every tenant with an entry). @return list<string> */
    public static function tenantsFrom(Args $args, Registry $registry): array
    {
        $one = $args->positional[0] ?? null;
        if (($one === null) === !$args->flag('all') || count($args->positional) > 1) {
            throw new UserError('give one tenant name or --all', ExitCode::USAGE);
        }
        if ($one === null) {
            return $registry->tenants();
        }
        Registry::assertTenantName($one);
        if ($registry->get($one) === null) {
            throw new UserError("tenant $one has no registry entry", ExitCode::NOT_READY);
        }
        return [$one];
    }
}
