<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * A tenant's own PHP-FPM pool: its PHP runs as the tenant's Unix user (TenantAccount), with its
 * own session, upload and temp folders and an open_basedir of the shared releases, its own folder
 * and the registry. The pool file is rendered from runtime/php-fpm/tenant-pool.conf into
 * $ROOT/etc/mokowaas/fpm/<tenant>.conf, which the platform pool includes; one FPM master runs
 * every pool (one opcache for the shared code). A changed pool set is checked with the FPM binary
 * (`-t`) before the master reloads (SIGUSR2): a bad file is put back and never reaches a reload.
 */
final class TenantPool
{
    /**
     * A tenant's limits (runtime/tenant-limits.json, read by the control plane too): name =>
     * ['default' => int, 'min' => int, 'max' => int, 'means' => string].
     *
     * @return array<string, array{default: int, min: int, max: int, means: string}>
     */
    public static function limitRules(): array
    {
        static $rules = null;
        if ($rules === null) {
            $rules = json_decode((string) file_get_contents(dirname(__DIR__) . '/tenant-limits.json'), true, 8, JSON_THROW_ON_ERROR);
            unset($rules['$comment']);
        }
        return $rules;
    }

    /** @var array{binary: ?string, config: ?string, pidFile: ?string, socketDir: string, webGroup: string} */
    private readonly array $fpm;

    public function __construct(private readonly Paths $paths, PlatformConfig $config)
    {
        $this->fpm = $config->fpm($paths);
    }

    public function file(string $tenant): string
    {
        return $this->paths->tenantPools() . "/$tenant.conf";
    }

    public function socket(string $tenant): string
    {
        return $this->fpm['socketDir'] . "/mokowaas-$tenant.sock";
    }

    public function webGroup(): string
    {
        return $this->fpm['webGroup'];
    }

    /** @return array<string, int> the entry's limits over the defaults */
    public static function limits(array $entry): array
    {
        return array_replace(array_map(static fn (array $r): int => $r['default'], self::limitRules()), is_array($entry['limits'] ?? null) ? $entry['limits'] : []);
    }

    /** The pool file of a tenant whose Unix user is $user. */
    public function render(array $entry, string $user): string
    {
        $tenant = (string) $entry['tenant'];
        $limits = self::limits($entry);
        $dir = $this->paths->tenant($tenant);
        $values = [
            '@POOL@' => "mokowaas-$tenant", '@USER@' => $user, '@WEB_GROUP@' => $this->fpm['webGroup'],
            '@SOCKET@' => $this->socket($tenant), '@WORKERS@' => (string) $limits['phpWorkers'],
            '@TIMEOUT@' => (string) $limits['requestTimeoutSeconds'], '@MEMORY@' => (string) $limits['phpMemoryMb'],
            '@ROOT@' => $this->paths->root === '' ? '/' : $this->paths->root, '@TENANT@' => $tenant, '@TENANT_DIR@' => $dir,
            '@OPEN_BASEDIR@' => implode(':', [$this->paths->releases() . '/', "$dir/", $this->paths->registry() . '/']),
            '@PREPEND@' => $this->paths->current() . '/mokowaas/open-basedir.php',
        ];
        $template = (string) file_get_contents(dirname(__DIR__) . '/php-fpm/tenant-pool.conf');
        $out = strtr($template, $values);
        if (preg_match('/@[A-Z_]+@/', $out, $m)) {
            throw new \LogicException("runtime/php-fpm/tenant-pool.conf: $m[0] has no value");
        }
        return $out;
    }

    /**
     * Writes the tenant's pool file when it differs, checks the whole FPM config and reloads the
     * master; a config FPM refuses puts the old file back. Returns whether anything changed.
     */
    public function put(array $entry, string $user): bool
    {
        $file = $this->file((string) $entry['tenant']);
        $content = $this->render($entry, $user);
        $old = is_file($file) ? (string) file_get_contents($file) : null;
        if ($old === $content) {
            return false;
        }
        Dirs::make($this->paths->tenantPools(), 0700);
        @chmod($this->paths->tenantPools(), 0700);
        Dirs::make($this->fpm['socketDir'], 0755);
        // Read by the FPM master (root) alone: no tenant learns another's users, paths or limits.
        AtomicFile::write($file, $content, 0600);
        $this->applyOrRestore($file, $old);
        $this->waitForSocket($this->socket((string) $entry['tenant']));
        return true;
    }

    /** Removes the tenant's pool (file, then reload). Returns whether it had one. */
    public function remove(string $tenant): bool
    {
        $file = $this->file($tenant);
        if (!is_file($file)) {
            return false;
        }
        $old = (string) file_get_contents($file);
        if (!unlink($file)) {
            throw new \RuntimeException("cannot remove $file");
        }
        $this->applyOrRestore($file, $old);
        return true;
    }

    /** @param list<string> $keep tenants whose pool files stay; every other pool file goes (rebuild) */
    public function removeOthers(array $keep): bool
    {
        $removed = false;
        foreach (glob($this->paths->tenantPools() . '/*.conf') ?: [] as $file) {
            if (!in_array(basename($file, '.conf'), $keep, true)) {
                $removed = $this->remove(basename($file, '.conf')) || $removed;
            }
        }
        return $removed;
    }

    /** Checks the FPM config (when the platform names its binary) and reloads the master (when it names its pid file). */
    private function applyOrRestore(string $file, ?string $old): void
    {
        if ($this->fpm['binary'] !== null && $this->fpm['config'] !== null) {
            [$code, $out] = Exec::capture([$this->fpm['binary'], '-t', '-y', $this->fpm['config']]);
            if ($code !== 0) {
                $old === null ? @unlink($file) : AtomicFile::write($file, $old, 0600);
                throw new UserError("PHP-FPM refuses the pool configuration (the previous one was put back): " . trim($out), ExitCode::FAILED);
            }
        }
        $this->reload();
    }

    /**
     * SIGUSR2 to the FPM master: it re-executes itself with the new configuration (its workers
     * finish their requests first) and rewrites its pid file when it is back. A second signal
     * during a reload is dropped by FPM, so this waits for that rewrite (the file's time is set to
     * 1 s after the epoch first) before the next change can reload: changes are never lost.
     */
    public function reload(): void
    {
        $pidFile = $this->fpm['pidFile'];
        if ($pidFile === null) {
            return;
        }
        $pid = is_file($pidFile) ? (int) trim((string) file_get_contents($pidFile)) : 0;
        if ($pid <= 0 || !posix_kill($pid, 0)) {
            throw new UserError("the PHP-FPM master is not running ($pidFile names no live process): start PHP-FPM, then run this again", ExitCode::NOT_READY);
        }
        touch($pidFile, 1);
        posix_kill($pid, SIGUSR2);
        $until = microtime(true) + 10.0;
        do {
            usleep(20_000);
            clearstatcache(true, $pidFile);
            // @mago-expect analysis:redundant-comparison,redundant-logical-operation (PHP-FPM rewrites the file touched above)
            if (is_file($pidFile) && filemtime($pidFile) !== 1) {
                $now = (int) trim((string) file_get_contents($pidFile));
                if ($now > 0 && posix_kill($now, 0)) {
                    return;
                }
            }
        } while (microtime(true) < $until);
        throw new UserError("PHP-FPM did not come back within 10 s of its reload ($pidFile): see its log", ExitCode::FAILED);
    }

    /** A new pool's socket appears once the master has reloaded; wait for it (10 s at most). */
    private function waitForSocket(string $socket): void
    {
        if ($this->fpm['pidFile'] === null) {
            return;
        }
        $until = microtime(true) + 10.0;
        do {
            clearstatcache(true, $socket);
            if (file_exists($socket)) {
                return;
            }
            usleep(50_000);
        } while (microtime(true) < $until);
        throw new UserError("PHP-FPM did not open $socket within 10 s after the reload: see its log", ExitCode::FAILED);
    }
}
