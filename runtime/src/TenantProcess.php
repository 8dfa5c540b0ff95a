<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * A PHP program of the served release run for one tenant the way its own pool runs PHP: as the
 * tenant's Unix user (never root, which would write into files every tenant shares), in its systemd
 * slice where systemd runs, with MOKOWAAS_TENANT naming it, from its tmp folder. Joomla's CLI
 * (`mokowaas joomla`) and the platform's extension installer (`tenant extensions`) start this way.
 */
final class TenantProcess
{
    /**
     * @param list<string> $cmd the program and its arguments, without the user switch
     * @return array{cmd: list<string>, env: array<string, string>, cwd: ?string}
     */
    public static function prepare(Paths $paths, string $tenant, array $cmd): array
    {
        if (posix_geteuid() === 0) {
            $account = (new TenantAccount($paths))->get($tenant)
                ?? throw new UserError("tenant $tenant has no Unix user yet: run `mokowaas registry rebuild`", ExitCode::NOT_READY);
            $cmd = ['setpriv', "--reuid={$account['uid']}", "--regid={$account['gid']}", '--clear-groups', '--', ...$cmd];
            $cmd = TenantSlice::wrap($tenant, $cmd);
        }
        // Only what the program needs; PHP's own ini settings when a wrapper set them (a PHP in a prefix).
        $env = ['MOKOWAAS_TENANT' => $tenant, 'MOKOWAAS_ROOT' => $paths->root === '' ? '/' : $paths->root,
            'PATH' => (string) (getenv('PATH') ?: '/usr/bin:/bin')];
        foreach (['PHPRC', 'PHP_INI_SCAN_DIR', 'GCONV_PATH'] as $name) {
            if (($value = getenv($name)) !== false) {
                $env[$name] = $value;
            }
        }
        // From the tenant's own folder: Joomla's CLI may write relative files (exports).
        $cwd = $paths->tenant($tenant) . '/tmp';
        return ['cmd' => $cmd, 'env' => $env, 'cwd' => is_dir($cwd) ? $cwd : null];
    }
}
