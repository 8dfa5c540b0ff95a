<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * GENERATED from runtime/rules.json by `npm run rules`: edit that file, then run it. The rules
 * both planes share, as constants because the release's bootstrap loads this class on the request
 * path (mokowaas/bootstrap.php) and must not parse JSON there. See components/rules.ts.
 */
final class Rules
{
    /** Tenant names: 2 to 31 characters a-z, 0-9 and -, starting with a letter. */
    public const TENANT_NAME = '/^[a-z][a-z0-9-]{1,30}\\z/';
    public const TENANT_NAME_MEANS = '2 to 31 characters a-z, 0-9 and -, starting with a letter';
    /** Host names in normal form: at most this many characters, ... */
    public const HOST_MAX_LENGTH = 253;
    /** ... at least this many labels, ... */
    public const HOST_MIN_LABELS = 2;
    /** ... each label a-z, 0-9 and inner hyphens, 1 to 63 characters, ... */
    public const HOST_LABEL = '/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\z/';
    public const HOST_LABEL_MEANS = 'a-z, 0-9 and inner hyphens, 1 to 63 characters';
    /** ... the last one not all digits (that is an IPv4 address). */
    public const HOST_LAST_LABEL = '/^[a-z0-9-]*[a-z-][a-z0-9-]*\\z/';
    /** Key characters, every character a host in normal form may hold: the bootstrap tries a Host made only of these as a per-host file name. */
    public const HOST_KEY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789.-';
    /** The server layout under MOKOWAAS_ROOT (Paths has one method per name). */
    public const PATHS = [
        'etc' => '/etc/mokowaas',
        'platformConfig' => '/etc/mokowaas/platform.php',
        'borgPassphrase' => '/etc/mokowaas/borg.passphrase',
        'borgSshKey' => '/etc/mokowaas/borg.ssh-key',
        'borgKnownHosts' => '/etc/mokowaas/borg.known_hosts',
        'registry' => '/etc/mokowaas/registry',
        'registryEntries' => '/etc/mokowaas/registry/tenants',
        'hostMap' => '/etc/mokowaas/registry/hosts.php',
        'hostFiles' => '/etc/mokowaas/registry/hosts',
        'tenantPools' => '/etc/mokowaas/fpm',
        'srv' => '/srv/mokowaas',
        'releases' => '/srv/mokowaas/releases',
        'current' => '/srv/mokowaas/current',
        'tenants' => '/srv/mokowaas/tenants',
        'mediaHosts' => '/srv/mokowaas/hosts',
        'fpmHostLinks' => '/var/lib/mokowaas/fpm-hosts',
        'borgBase' => '/var/lib/mokowaas/borg',
        'certificateCap' => '/etc/mokowaas/certificate-cap.php',
        'certificateState' => '/var/lib/mokowaas/certificates',
        'drill' => '/var/lib/mokowaas/drill',
        'drillResult' => '/var/lib/mokowaas/drill.json',
        'locks' => '/run/mokowaas/locks',
        'logs' => '/var/log/mokowaas',
        'backups' => '/var/backups/mokowaas',
    ];
}
