<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\AtomicFile;
use MokoWaaS\CertificateCap;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\HostMap;
use MokoWaaS\PlatformConfig;

final class PlatformCommand extends Command
{
    public static function summary(): string
    {
        return 'write the platform config (MySQL admin password on stdin)';
    }

    public static function usage(): string
    {
        return "usage: mokowaas platform init --mysql-host H --mysql-port P [--mysql-socket S] --mysql-user U\n"
            . "                              --php-user W [--borg-repo R [--borg-ssh-key F --borg-host-key K]] [--web-url URL] [--ca-file F]\n"
            . "                              [--hook-success URL ...] [--hook-failure URL ...]\n"
            . "                              [--blueprint-database NAME] [--backup-max-age-hours H] [--drill-max-age-hours H] [--disk-min-free-mb M]\n"
            . "                              [--cert-new-per-3h N] [--cert-new-per-domain-week N] [--no-cert-cap]\n"
            . "                              [--fpm-binary B --fpm-config F] [--fpm-pid-file P] [--fpm-socket-dir D] [--web-group G]  < password\n"
            . "  --fpm-*: how tenant pools are checked (B -t -y F) and reloaded (SIGUSR2 to the pid in P), where their\n"
            . "  sockets go (default \$ROOT/run/php); --web-group: the group Caddy runs as (default caddy)\n"
            . "  R ssh://user@host[:port]/path: F the server's private key for it (0600), K the backup host's key \"TYPE BASE64\" (pinned)\n"
            . "  --drill-max-age-hours: health fails when the last restore drill failed or is older (unset: not checked)\n"
            . "  --cert-*: the cap on new TLS certificates under Let's Encrypt's limits (default " . CertificateCap::DEFAULT_PER_3_HOURS . " new hosts per 3 h,\n"
            . "  " . CertificateCap::DEFAULT_PER_DOMAIN_WEEK . " per registered domain per week); --no-cert-cap: none (Caddy issues from its own CA)\n"
            . "       mokowaas platform show      (the config without its password, as JSON)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['mysql-host', 'mysql-port', 'mysql-socket', 'mysql-user', 'php-user', 'borg-repo', 'web-url', 'ca-file',
            'blueprint-database', 'backup-max-age-hours', 'drill-max-age-hours', 'disk-min-free-mb', 'cert-new-per-3h', 'cert-new-per-domain-week', 'borg-ssh-key', 'borg-host-key', 'fpm-binary', 'fpm-config', 'fpm-pid-file', 'fpm-socket-dir', 'web-group'], ['no-cert-cap'], ['hook-success', 'hook-failure']);
        return match ($args->arg(0, 'init|show')) {
            'init' => $this->init($args),
            'show' => $this->show(),
            default => throw new UserError('unknown subcommand: use init or show', ExitCode::USAGE),
        };
    }

    private function init(Args $args): int
    {
        $port = $args->required('mysql-port');
        if (!ctype_digit($port) || (int) $port < 1 || (int) $port > 65535) {
            throw new UserError("--mysql-port must be a TCP port number, got \"$port\"");
        }
        $phpUser = $args->required('php-user');
        if (function_exists('posix_getpwnam') && posix_getpwnam($phpUser) === false) {
            throw new UserError("--php-user \"$phpUser\" is not a user on this server");
        }
        foreach (array_merge($args->all('hook-success'), $args->all('hook-failure')) as $url) {
            if (!preg_match('#^https?://#', $url)) {
                throw new UserError("hook \"$url\" must be an http(s) URL");
            }
        }
        $blueprint = $args->option('blueprint-database');
        if ($blueprint !== null && !preg_match('/^[a-z][a-z0-9_]{0,63}$/', $blueprint)) {
            throw new UserError("--blueprint-database \"$blueprint\" must be a database name (a-z, 0-9, _; starting with a letter)");
        }
        $maxAge = self::hours($args, 'backup-max-age-hours');
        $drillMaxAge = self::hours($args, 'drill-max-age-hours');
        $minFree = $args->option('disk-min-free-mb');
        if ($minFree !== null && (!is_numeric($minFree) || (float) $minFree < 0)) {
            throw new UserError("--disk-min-free-mb must be a number of megabytes (0 or more), got \"$minFree\"");
        }
        $repo = $args->option('borg-repo', $this->paths->backups() . '/borg');
        $knownHosts = $this->borgSsh($args, $repo);
        if (($args->option('fpm-binary') === null) !== ($args->option('fpm-config') === null)) {
            throw new UserError('--fpm-binary and --fpm-config go together: the binary checks the config before a reload');
        }
        $webGroup = $args->option('web-group', 'caddy');
        if (function_exists('posix_getgrnam') && posix_getgrnam($webGroup) === false) {
            throw new UserError("--web-group \"$webGroup\" is not a group on this server (the group Caddy runs as)");
        }
        foreach (['fpm-binary', 'fpm-config', 'fpm-pid-file', 'fpm-socket-dir'] as $name) {
            $v = $args->option($name);
            if ($v !== null && !str_starts_with($v, '/')) {
                throw new UserError("--$name must be an absolute path, got \"$v\"");
            }
        }
        $cap = $this->certificateCap($args);
        $password = rtrim($this->stdin(), "\r\n");
        if ($knownHosts !== null) {
            AtomicFile::write($this->paths->borgKnownHosts(), $knownHosts, 0644);
        }
        PlatformConfig::save($this->paths, [
            'mysql' => [
                'host' => $args->required('mysql-host'),
                'port' => (int) $port,
                'socket' => $args->option('mysql-socket'),
                'user' => $args->required('mysql-user'),
                'password' => $password,
            ],
            'phpUser' => $phpUser,
            'borgRepo' => $repo,
            'webUrl' => $args->option('web-url', 'https://127.0.0.1'),
            'caFile' => $args->option('ca-file'),
            'hooks' => ['success' => $args->all('hook-success'), 'failure' => $args->all('hook-failure')],
            'fpm' => array_filter([
                'binary' => $args->option('fpm-binary'), 'config' => $args->option('fpm-config'),
                'pidFile' => $args->option('fpm-pid-file'), 'socketDir' => $args->option('fpm-socket-dir'), 'webGroup' => $webGroup,
            ], static fn ($v) => $v !== null),
        ] + array_filter([
            // Left out when not given: the verbs then use their defaults (docs/server-cli.md).
            'blueprintDatabase' => $blueprint,
            'backupMaxAgeHours' => $maxAge,
            'drillMaxAgeHours' => $drillMaxAge,
            'diskMinFreeMb' => $minFree === null ? null : (float) $minFree,
            'borgSsh' => $knownHosts === null ? null : ['keyFile' => $args->required('borg-ssh-key')],
        ], static fn ($v) => $v !== null));
        $this->writeCertificateCap($cap, $phpUser);
        $this->out('platform config written to ' . $this->paths->platformConfig());
        return ExitCode::OK;
    }

    /** @return array{newPer3Hours: int, newPerDomainWeek: int}|null */
    private function certificateCap(Args $args): ?array
    {
        $given = ['cert-new-per-3h' => CertificateCap::LETS_ENCRYPT_PER_3_HOURS, 'cert-new-per-domain-week' => CertificateCap::LETS_ENCRYPT_PER_DOMAIN_WEEK];
        if ($args->flag('no-cert-cap')) {
            foreach (array_keys($given) as $name) {
                if ($args->option($name) !== null) {
                    throw new UserError("--$name and --no-cert-cap contradict each other: give one");
                }
            }
            return null;
        }
        $cap = [];
        foreach ($given as $name => $limit) {
            $v = $args->option($name);
            if ($v !== null && (!ctype_digit($v) || (int) $v < 1 || (int) $v > $limit)) {
                throw new UserError("--$name must be a whole number from 1 to $limit (Let's Encrypt's own limit), got \"$v\"");
            }
            $cap[$name] = $v === null ? null : (int) $v;
        }
        return ['newPer3Hours' => $cap['cert-new-per-3h'] ?? CertificateCap::DEFAULT_PER_3_HOURS,
            'newPerDomainWeek' => $cap['cert-new-per-domain-week'] ?? CertificateCap::DEFAULT_PER_DOMAIN_WEEK];
    }

    /**
     * The cap file the ask endpoint reads (an empty array: no cap), and its state folder for the platform
     * pool's user, started with the hosts already served (their certificates may exist).
     *
     * @param array{newPer3Hours: int, newPerDomainWeek: int}|null $cap
     */
    private function writeCertificateCap(?array $cap, string $phpUser): void
    {
        $file = $this->paths->certificateCap();
        // Written also without a cap (an empty array): the platform pool's open_basedir names
        // this one file, and PHP warns on every ask that looks for a file it names but lacks.
        AtomicFile::writePhpArray($file, $cap ?? [], 0644);
        if ($cap === null) {
            return;
        }
        $hosts = array_keys(HostMap::load($this->paths->hostMap())->hosts());
        (new CertificateCap($this->paths))->initState(array_map('strval', $hosts), function_exists('posix_getpwnam') && posix_getpwnam($phpUser) !== false ? $phpUser : null);
    }

    private static function hours(Args $args, string $name): ?float
    {
        $v = $args->option($name);
        if ($v !== null && (!is_numeric($v) || (float) $v <= 0)) {
            throw new UserError("--$name must be a positive number of hours, got \"$v\"");
        }
        return $v === null ? null : (float) $v;
    }

    /**
     * Checks the SSH options of an ssh:// repository and returns the known_hosts line that pins
     * the backup host's key (never learnt on first use); null for a local repository.
     */
    private function borgSsh(Args $args, string $repo): ?string
    {
        $key = $args->option('borg-ssh-key');
        $hostKey = $args->option('borg-host-key');
        if (!str_starts_with($repo, 'ssh://')) {
            if ($key !== null || $hostKey !== null) {
                throw new UserError('--borg-ssh-key and --borg-host-key are only for an ssh:// --borg-repo');
            }
            if (str_contains($repo, '://') || !str_starts_with($repo, '/')) {
                throw new UserError("--borg-repo \"$repo\" must be an absolute path or ssh://user@host[:port]/path");
            }
            return null;
        }
        if (!preg_match('#^ssh://[A-Za-z0-9._-]+@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::([0-9]{1,5}))?/[A-Za-z0-9._@%+=:,/~-]+$#', $repo, $m)) {
            throw new UserError("--borg-repo \"$repo\" must be ssh://user@host[:port]/path (letters, digits and . _ - @ % + = : , / ~ in the path)");
        }
        if ($key === null || $hostKey === null) {
            throw new UserError('an ssh:// --borg-repo needs --borg-ssh-key (the server\'s private key for it) and --borg-host-key (the backup host\'s public key, pinned)');
        }
        if (!str_starts_with($key, '/') || !is_file($key)) {
            throw new UserError("--borg-ssh-key \"$key\" must be an existing file given by its absolute path");
        }
        if ((fileperms($key) & 0077) !== 0) {
            throw new UserError("--borg-ssh-key $key is readable by others: chmod 600 it");
        }
        if (!preg_match('~^(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) ([A-Za-z0-9+/]+={0,2})$~', $hostKey, $k)
            || !str_starts_with((string) base64_decode($k[2], true), pack('N', strlen($k[1])) . $k[1])) {
            throw new UserError('--borg-host-key must be the backup host\'s public key as "TYPE BASE64" (e.g. the first two fields of its ssh_host_ed25519_key.pub)');
        }
        $port = ($m[2] ?? '') !== '' ? (int) $m[2] : 22;
        if ($port < 1 || $port > 65535) {
            throw new UserError("--borg-repo \"$repo\": $port is not a TCP port");
        }
        $host = trim($m[1], '[]');
        return ($port === 22 ? $host : "[$host]:$port") . " $hostKey\n";
    }

    private function show(): int
    {
        $data = PlatformConfig::load($this->paths)->toArray();
        unset($data['mysql']['password']);
        $data['certificateCap'] = (new CertificateCap($this->paths))->policy();
        $this->json($data);
        return ExitCode::OK;
    }
}
