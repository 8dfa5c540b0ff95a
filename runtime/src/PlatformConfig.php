<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * The platform config written by `mokowaas platform init` ($ROOT/etc/mokowaas/platform.php,
 * 0600 root: it holds the MySQL admin password; nothing on the request path reads it).
 *
 * Shape: ['mysql' => ['host','port','socket','user','password'], 'phpUser', 'borgRepo',
 *         'borgSsh' => ['keyFile'] (ssh:// repositories; the pinned host key is Paths::borgKnownHosts),
 *         'webUrl', 'caFile', 'hooks' => ['success' => [url...], 'failure' => [url...]],
 *         'fpm' => ['binary', 'config', 'pidFile', 'socketDir', 'webGroup']]
 */
final class PlatformConfig
{
    /** @param array<string, mixed> $data */
    private function __construct(private readonly array $data)
    {
    }

    public static function load(Paths $paths): self
    {
        $file = $paths->platformConfig();
        if (!is_file($file)) {
            throw new UserError("the platform is not initialized ($file missing): run `mokowaas platform init` first", ExitCode::NOT_READY);
        }
        $data = require $file;
        if (!is_array($data) || !isset($data['mysql']) || !is_array($data['mysql'])) {
            throw new UserError("$file is not a platform config: run `mokowaas platform init` again", ExitCode::NOT_READY);
        }
        return new self($data);
    }

    /** @param array<string, mixed> $data */
    public static function save(Paths $paths, array $data): void
    {
        AtomicFile::writePhpArray($paths->platformConfig(), $data, 0600);
    }

    /** @return array{host: string, port: int, socket: ?string, user: string, password: string} */
    public function mysql(): array
    {
        $m = $this->data['mysql'];
        return [
            'host' => (string) ($m['host'] ?? '127.0.0.1'),
            'port' => (int) ($m['port'] ?? 3306),
            'socket' => isset($m['socket']) && $m['socket'] !== '' ? (string) $m['socket'] : null,
            'user' => (string) $m['user'],
            'password' => (string) ($m['password'] ?? ''),
        ];
    }

    /** The platform pool's user (unknown, alias, offline and not-ready hosts, the TLS ask endpoint). */
    public function phpUser(): string
    {
        return (string) ($this->data['phpUser'] ?? 'www-data');
    }

    /**
     * How the tenants' PHP-FPM pools are run (TenantPool): the FPM binary and main config that
     * check a new pool before the master reloads, the master's pid file (SIGUSR2 reloads it; none:
     * pools are written and the operator reloads), where the sockets go and the group the web
     * server runs as (it connects to every pool's socket and reads every tenant's media).
     *
     * @return array{binary: ?string, config: ?string, pidFile: ?string, socketDir: string, webGroup: string}
     */
    public function fpm(Paths $paths): array
    {
        $f = is_array($this->data['fpm'] ?? null) ? $this->data['fpm'] : [];
        $opt = static fn (string $k): ?string => isset($f[$k]) && is_string($f[$k]) && $f[$k] !== '' ? $f[$k] : null;
        return [
            'binary' => $opt('binary'), 'config' => $opt('config'), 'pidFile' => $opt('pidFile'),
            'socketDir' => $opt('socketDir') ?? $paths->root . '/run/php',
            'webGroup' => $opt('webGroup') ?? 'caddy',
        ];
    }

    public function borgRepo(Paths $paths): string
    {
        return (string) ($this->data['borgRepo'] ?? ($paths->backups() . '/borg'));
    }

    /** `health` fails when a filesystem the platform writes to has less free space (MB). */
    public function diskMinFreeMb(): float
    {
        return (float) ($this->data['diskMinFreeMb'] ?? DiskSpace::DEFAULT_MIN_FREE_MB);
    }

    /**
     * How the server logs in to an ssh:// repository: its private key file and the known_hosts
     * file holding the backup host's pinned key; null for a local repository.
     *
     * @return array{keyFile: string, knownHosts: string}|null
     */
    public function borgSsh(Paths $paths): ?array
    {
        $key = $this->data['borgSsh']['keyFile'] ?? null;
        return is_string($key) && $key !== '' ? ['keyFile' => $key, 'knownHosts' => $paths->borgKnownHosts()] : null;
    }

    /** Hours after which a missing or old restore drill fails `health`; null: the drill is not checked. */
    public function drillMaxAgeHours(): ?float
    {
        $h = $this->data['drillMaxAgeHours'] ?? null;
        return is_int($h) || is_float($h) ? (float) $h : null;
    }

    /** Base URL of the local web server (health checks send each tenant host's requests here). */
    public function webUrl(): string
    {
        return (string) ($this->data['webUrl'] ?? 'https://127.0.0.1');
    }

    /** CA bundle that verifies the local web server's certificates (Caddy's local CA in tests). */
    public function caFile(): ?string
    {
        $f = $this->data['caFile'] ?? null;
        return is_string($f) && $f !== '' ? $f : null;
    }

    /** @return list<string> */
    public function hooks(string $event): array
    {
        $h = $this->data['hooks'][$event] ?? [];
        return is_array($h) ? array_values(array_map('strval', $h)) : [];
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return $this->data;
    }
}
