<?php
declare(strict_types=1);

namespace MokoWaaS\Cli;

/** One exit code per kind of failure (documented in `mokowaas help`). */
final class ExitCode
{
    public const OK = 0;
    /** The operation ran and failed (e.g. one tenant's migration, an archive that cannot be made). */
    public const FAILED = 1;
    /** Wrong command line. */
    public const USAGE = 2;
    /** Bad input (entry JSON, tenant name, host): nothing was changed. */
    public const INVALID_INPUT = 3;
    /** The platform is not ready: not initialized, tenant or release missing. */
    public const NOT_READY = 4;
    /** Another run holds the lock. */
    public const LOCKED = 5;
    /** Refused to protect data (e.g. seeding a database that holds tables). */
    public const REFUSED = 6;
    /** `upgrade`: the pre-upgrade archive failed, so the tenant was skipped; nothing changed. */
    public const SKIPPED = 7;
    /** `upgrade`: the upgrade failed and so did the rollback: the tenant stays in maintenance (re-run repairs). */
    public const ROLLBACK_FAILED = 8;
}
