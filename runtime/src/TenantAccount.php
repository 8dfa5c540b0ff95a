<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * Each tenant's own Unix user and group: its PHP-FPM pool, Joomla's CLI and its files run and
 * belong to it, so one tenant's PHP cannot read another's files or the platform's secrets.
 *
 * Name: "mw-<tenant>" on a server (root "/"). Another root on the same machine (a test or local
 * platform) gets "mw<4 hex of the root>-<tenant>", so two platforms never share an account. A name
 * that would pass 32 characters (useradd's limit) keeps 20 characters of the tenant and adds 8 hex
 * of its hash. The account's comment says whose it is; an existing account of that name with
 * another comment is never taken over (refused, exit 6).
 */
final class TenantAccount
{
    private const MAX = 32;

    public function __construct(private readonly Paths $paths)
    {
    }

    public function name(string $tenant): string
    {
        $prefix = $this->paths->root === '' ? 'mw-' : 'mw' . substr(hash('sha256', $this->paths->root), 0, 4) . '-';
        if (strlen($prefix . $tenant) <= self::MAX) {
            return $prefix . $tenant;
        }
        return $prefix . substr($tenant, 0, self::MAX - strlen($prefix) - 9) . '-' . substr(hash('sha256', $tenant), 0, 8);
    }

    /** The comment that marks the account as this tenant's (useradd --comment). */
    public function comment(string $tenant): string
    {
        return "MokoWaaS tenant $tenant" . ($this->paths->root === '' ? '' : ' at ' . $this->paths->root);
    }

    /** @return array{name: string, uid: int, gid: int}|null the account when it exists and is this tenant's */
    public function get(string $tenant): ?array
    {
        $pw = posix_getpwnam($this->name($tenant));
        if ($pw === false) {
            return null;
        }
        if ($pw['gecos'] !== $this->comment($tenant)) {
            throw new UserError("the Unix user {$pw['name']} exists and is not tenant $tenant's (its comment is \"{$pw['gecos']}\"): "
                . 'rename or remove it; it is never taken over', ExitCode::REFUSED);
        }
        return ['name' => $pw['name'], 'uid' => $pw['uid'], 'gid' => $pw['gid']];
    }

    /**
     * The tenant's account, created when missing: a system user with a group of its own, no login
     * shell, its home the tenant's folder.
     *
     * @return array{name: string, uid: int, gid: int}
     */
    public function ensure(string $tenant): array
    {
        $account = $this->get($tenant);
        if ($account !== null) {
            return $account;
        }
        Exec::run(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', $this->paths->tenant($tenant),
            '--shell', '/usr/sbin/nologin', '--comment', $this->comment($tenant), $this->name($tenant)], "creating the user of tenant $tenant");
        return $this->get($tenant) ?? throw new \RuntimeException('useradd reported success but ' . $this->name($tenant) . ' does not exist');
    }

    /** Removes the account (and its group); nothing when it is already gone. */
    public function remove(string $tenant): void
    {
        if ($this->get($tenant) !== null) {
            Exec::run(['userdel', $this->name($tenant)], "removing the user of tenant $tenant");
        }
    }
}
