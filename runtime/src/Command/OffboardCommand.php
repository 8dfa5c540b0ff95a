<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Lock;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantAccount;
use MokoWaaS\TenantArchive;
use MokoWaaS\TenantSlice;

/**
 * Offboarding that loses nothing: the hosts stop serving (state offboarding: out of the host map),
 * a final archive is made and read back, and only then are the tenant's folders and entry
 * removed. If the archive cannot be made or verified the hosts come back and nothing is removed.
 * The control plane drops the database only after this succeeded.
 */
final class OffboardCommand extends Command
{
    public static function summary(): string
    {
        return 'take a tenant off the server after a verified final archive';
    }

    public static function usage(): string
    {
        return "usage: mokowaas offboard <tenant>\n"
            . "  exit 0: archived as <tenant>-final-<time>, folders and entry removed (the database is left to the\n"
            . "  control plane); exit 1: archive failed, hosts serving again, nothing removed";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv);
        $tenant = $args->arg(0, 'tenant');
        Registry::assertTenantName($tenant);
        $registry = new Registry($this->paths);
        $entry = $registry->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry (already offboarded?)", ExitCode::NOT_READY);
        $lock = Lock::tenant($this->paths, $tenant);
        // An interrupted earlier offboard left "offboarding": the hosts it had before are unknown, ready is the safe guess.
        $before = ($entry['state'] ?? 'ready') === 'offboarding' ? 'ready' : (string) $entry['state'];
        $archives = new TenantArchive($this->paths, PlatformConfig::load($this->paths));
        $registry->setState($tenant, 'offboarding');
        try {
            $name = $archives->backup($tenant, 'final', $entry);
            $archives->verify($name);
        } catch (\Throwable $e) {
            $registry->setState($tenant, $before);
            $this->err("$tenant: offboarding FAILED, nothing removed, hosts serving again (state $before): " . $e->getMessage());
            return ExitCode::FAILED;
        }
        $this->out("$tenant: final archive $name verified");
        // Folders first, then entry and pool, the Unix user last: a run that dies in between is
        // repeated by running offboard again.
        TenantArchive::removeTree($registry->tenantDir($tenant));
        $registry->remove($tenant);
        if (posix_geteuid() === 0) {
            TenantSlice::remove($this->paths, $tenant);
            (new TenantAccount($this->paths))->remove($tenant);
        }
        $lock->release();
        $this->out("$tenant: folders, registry entry, pool and user removed; the control plane may drop its database now");
        return ExitCode::OK;
    }
}
