<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * A tenant's systemd slice, where systemd runs: its CPU quota and memory ceiling (the tenant's
 * `limits.cpuPercent` and `limits.memoryMb`) for what runs in it: Joomla's CLI for the tenant
 * (`mokowaas joomla`) and its scheduled work. Without systemd (containers, test machines) there
 * is no slice and nothing is wrapped. (PHP-FPM's workers stay in the FPM service: one master runs
 * every pool so the shared code has one opcache; their bounds are the pool's own limits.)
 */
final class TenantSlice
{
    /** Where unit files go: the machine's systemd, whatever MOKOWAAS_ROOT is. */
    private const UNIT_DIR = '/etc/systemd/system';

    public static function systemd(): bool
    {
        return is_dir('/run/systemd/system');
    }

    /** mokowaas-<tenant>.slice, the tenant's "-" escaped (a "-" in a slice name means nesting). */
    public static function unit(string $tenant): string
    {
        return 'mokowaas-' . str_replace('-', '\\x2d', $tenant) . '.slice';
    }

    public static function render(string $tenant, array $limits): string
    {
        return "# Written by mokowaas (registry) for tenant $tenant; do not edit.\n[Unit]\nDescription=MokoWaaS tenant $tenant\n\n"
            . "[Slice]\nCPUQuota={$limits['cpuPercent']}%\nMemoryMax={$limits['memoryMb']}M\n";
    }

    /** Writes the slice when it differs (then systemd reloads). */
    public static function put(string $tenant, array $entry): void
    {
        if (!self::systemd() || posix_geteuid() !== 0) {
            return;
        }
        $file = self::UNIT_DIR . '/' . self::unit($tenant);
        $content = self::render($tenant, TenantPool::limits($entry));
        if (!is_file($file) || file_get_contents($file) !== $content) {
            AtomicFile::write($file, $content, 0644);
            self::systemctl(['daemon-reload']);
        }
    }

    public static function remove(Paths $paths, string $tenant): void
    {
        $file = self::UNIT_DIR . '/' . self::unit($tenant);
        if (self::systemd() && is_file($file)) {
            unlink($file);
            self::systemctl(['daemon-reload']);
        }
    }

    /** @param list<string> $cmd @return list<string> $cmd run in the tenant's slice, where systemd runs */
    public static function wrap(string $tenant, array $cmd): array
    {
        return self::systemd() ? ['systemd-run', '--quiet', '--scope', '--collect', '--slice=' . self::unit($tenant), '--', ...$cmd] : $cmd;
    }

    /** @param list<string> $args */
    private static function systemctl(array $args): void
    {
        $p = proc_open(['systemctl', ...$args], [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        if (is_resource($p)) {
            proc_close($p);
        }
    }
}
