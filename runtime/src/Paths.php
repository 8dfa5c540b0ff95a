<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * Every server path derives from one root, MOKOWAAS_ROOT (default "/"), so tests run the whole
 * data plane inside a temporary folder. The layout under the root is runtime/rules.json's "paths"
 * (Rules::PATHS, which the control plane reads too): one method here per name there.
 */
final class Paths
{
    /**
     * Under the root: one file per served host, hosts/<normalized host>.php, holding that host's
     * compiled JConfig (secrets: 0640 root:<php user>). The bootstrap's fast path (mokowaas/enter.php,
     * rendered by `release bootstrap`) builds the same path from this constant without loading classes.
     */
    public const HOST_FILES = Rules::PATHS['hostFiles'] . '/';
    /** Under the root: one folder per tenant (tenant()); the fast path builds its tenant's path from it too. */
    public const TENANTS = Rules::PATHS['tenants'] . '/';

    public readonly string $root;

    public function __construct(?string $root = null)
    {
        $root ??= (getenv('MOKOWAAS_ROOT') ?: '/');
        $this->root = rtrim($root, '/');
    }

    public static function fromEnv(): self
    {
        return new self();
    }

    /** $ROOT/etc/mokowaas: platform config and the registry. */
    public function etc(): string
    {
        return $this->root . Rules::PATHS['etc'];
    }

    /** The platform config file written by `platform init` (secrets: 0640 root:<php user>). */
    public function platformConfig(): string
    {
        return $this->root . Rules::PATHS['platformConfig'];
    }

    /** Borg passphrase, root-only (0600). */
    public function borgPassphrase(): string
    {
        return $this->root . Rules::PATHS['borgPassphrase'];
    }

    /** Default private key (root-only, 0600) the server logs in to an ssh:// Borg repository with. */
    public function borgSshKey(): string
    {
        return $this->root . Rules::PATHS['borgSshKey'];
    }

    /** The backup host's pinned host key, as an OpenSSH known_hosts file (written by `platform init`). */
    public function borgKnownHosts(): string
    {
        return $this->root . Rules::PATHS['borgKnownHosts'];
    }

    /** $ROOT/etc/mokowaas/registry: one entry file per tenant plus the compiled host map. */
    public function registry(): string
    {
        return $this->root . Rules::PATHS['registry'];
    }

    /** Folder of the entry files (registryEntry()). */
    public function registryEntries(): string
    {
        return $this->root . Rules::PATHS['registryEntries'];
    }

    /** One entry file per tenant (secrets: 0640 root:<php user>, later root:<tenant user>). */
    public function registryEntry(string $tenant): string
    {
        return $this->registryEntries() . '/' . $tenant . '.php';
    }

    /** The compiled host map read on every request (host => tenant, role, online, state; no secrets). */
    public function hostMap(): string
    {
        return $this->root . Rules::PATHS['hostMap'];
    }

    /** Folder of the per-host files (see HOST_FILES). */
    public function hostFiles(): string
    {
        return $this->root . Rules::PATHS['hostFiles'];
    }

    /** The compiled file of one served host ($host in normal form, see Host). */
    public function hostFile(string $host): string
    {
        return $this->root . self::HOST_FILES . $host . '.php';
    }

    /** Lock serializing every registry write. */
    public function registryLock(): string
    {
        return $this->registry() . '/.lock';
    }

    /**
     * $ROOT/srv/mokowaas/hosts: one link per served host to its tenant's media folder; Caddy serves
     * a tenant's media from here by the request's host, so tenant A's media never answers on B's host.
     */
    public function mediaHosts(): string
    {
        return $this->root . Rules::PATHS['mediaHosts'];
    }

    /** $ROOT/etc/mokowaas/fpm: one PHP-FPM pool file per tenant (TenantPool), included by the platform pool. */
    public function tenantPools(): string
    {
        return $this->root . Rules::PATHS['tenantPools'];
    }

    /**
     * $ROOT/var/lib/mokowaas/fpm-hosts: one link per served host, <host>.sock -> its tenant's pool
     * socket. Caddy sends a request to the pool whose link its Host names (runtime/caddy/Caddyfile);
     * a host without one (unknown, alias, offline, not ready) goes to the platform pool.
     */
    public function fpmHostLinks(): string
    {
        return $this->root . Rules::PATHS['fpmHostLinks'];
    }

    /** $ROOT/srv/mokowaas. */
    public function srv(): string
    {
        return $this->root . Rules::PATHS['srv'];
    }

    public function releases(): string
    {
        return $this->root . Rules::PATHS['releases'];
    }

    /** Link to the Joomla release being served. */
    public function current(): string
    {
        return $this->root . Rules::PATHS['current'];
    }

    /** $ROOT/srv/mokowaas/tenants: one folder per tenant (tenant()). */
    public function tenants(): string
    {
        return $this->root . Rules::PATHS['tenants'];
    }

    /** Per-tenant storage (cache, tmp, logs, sessions, media), outside any document root. */
    public function tenant(string $tenant): string
    {
        return $this->root . self::TENANTS . $tenant;
    }

    /** Locks for per-tenant operations (migrate, backup, restore, offboard). */
    public function locks(): string
    {
        return $this->root . Rules::PATHS['locks'];
    }

    /** $ROOT/var/log/mokowaas: logs of background runs (the blueprint standby refill). */
    public function logs(): string
    {
        return $this->root . Rules::PATHS['logs'];
    }

    /** $ROOT/var/backups/mokowaas: the default Borg repository and safety copies. */
    public function backups(): string
    {
        return $this->root . Rules::PATHS['backups'];
    }

    /** $ROOT/var/lib/mokowaas/drill: one scratch folder per restore drill, removed when it ends. */
    public function drill(): string
    {
        return $this->root . Rules::PATHS['drill'];
    }

    /** The last restore drill's result (JSON), which `health` reports. */
    public function drillResult(): string
    {
        return $this->root . Rules::PATHS['drillResult'];
    }

    /** $ROOT/var/lib/mokowaas/borg: Borg's BORG_BASE_DIR (its keys and cache) unless the environment sets one. */
    public function borgBase(): string
    {
        return $this->root . Rules::PATHS['borgBase'];
    }

    /**
     * The platform's certificate issuance cap (CertificateCap), written by `platform init`: no
     * secrets, 0644, read by the TLS ask endpoint in the platform pool.
     */
    public function certificateCap(): string
    {
        return $this->root . Rules::PATHS['certificateCap'];
    }

    /** $ROOT/var/lib/mokowaas/certificates: what the ask endpoint has let through and held back (owned by the platform pool's user). */
    public function certificateState(): string
    {
        return $this->root . Rules::PATHS['certificateState'];
    }
}
