<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * A PHP process of the tenant's Joomla outside the web server (Joomla's CLI for `mokowaas joomla`
 * and the seed, Joomla's update finalisation for `mokowaas upgrade`, the platform's extension
 * installer for `tenant extensions`): run as the tenant's own Unix user (never
 * root: Joomla code never runs as root here), in its slice, with only what the bootstrap needs in
 * its environment, from the tenant's tmp folder (Joomla may write relative files).
 */
final class TenantProcess
{
    /**
     * @param list<string> $command what to run (its PHP script and arguments), as the tenant
     * @return array{0: list<string>, 1: array<string, string>, 2: ?string} command line, environment, working folder
     */
    public static function prepare(Paths $paths, string $tenant, array $command): array
    {
        $cmd = [PHP_BINARY, ...$command];
        if (posix_geteuid() === 0) {
            $account = (new TenantAccount($paths))->get($tenant)
                ?? throw new UserError("tenant $tenant has no Unix user yet: run `mokowaas registry rebuild`", ExitCode::NOT_READY);
            $cmd = ['setpriv', "--reuid={$account['uid']}", "--regid={$account['gid']}", '--clear-groups', '--', ...$cmd];
            $cmd = TenantSlice::wrap($tenant, $cmd);
        }
        // PHP's own ini settings when a wrapper set them (a PHP in a prefix).
        $env = ['MOKOWAAS_TENANT' => $tenant, 'MOKOWAAS_ROOT' => $paths->root === '' ? '/' : $paths->root,
            'PATH' => (string) (getenv('PATH') ?: '/usr/bin:/bin')];
        foreach (['PHPRC', 'PHP_INI_SCAN_DIR', 'GCONV_PATH'] as $name) {
            if (($value = getenv($name)) !== false) {
                $env[$name] = $value;
            }
        }
        $cwd = $paths->tenant($tenant) . '/tmp';
        return [$cmd, $env, is_dir($cwd) ? $cwd : null];
    }

    /**
     * Runs it with its output captured (stdin empty).
     *
     * @param list<string> $command
     * @return array{0: int, 1: string, 2: string} exit code, stdout, stderr
     */
    public static function capture(Paths $paths, string $tenant, array $command): array
    {
        [$cmd, $env, $cwd] = self::prepare($paths, $tenant, $command);
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, $env);
        if (!is_resource($p)) {
            throw new \RuntimeException('cannot start ' . implode(' ', $command));
        }
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($p), $out, $err];
    }
}
