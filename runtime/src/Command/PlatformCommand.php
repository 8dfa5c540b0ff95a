<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
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
            . "                              --php-user W [--borg-repo R] [--web-url URL] [--ca-file F]\n"
            . "                              [--hook-success URL ...] [--hook-failure URL ...]\n"
            . "                              [--blueprint-database NAME] [--backup-max-age-hours H]\n"
            . "                              [--fpm-binary B --fpm-config F] [--fpm-pid-file P] [--fpm-socket-dir D] [--web-group G]  < password\n"
            . "  --fpm-*: how tenant pools are checked (B -t -y F) and reloaded (SIGUSR2 to the pid in P), where their\n"
            . "  sockets go (default \$ROOT/run/php); --web-group: the group Caddy runs as (default caddy)\n"
            . "       mokowaas platform show      (the config without its password, as JSON)";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['mysql-host', 'mysql-port', 'mysql-socket', 'mysql-user', 'php-user', 'borg-repo', 'web-url', 'ca-file',
            'blueprint-database', 'backup-max-age-hours', 'fpm-binary', 'fpm-config', 'fpm-pid-file', 'fpm-socket-dir', 'web-group'], [], ['hook-success', 'hook-failure']);
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
        $maxAge = $args->option('backup-max-age-hours');
        if ($maxAge !== null && (!is_numeric($maxAge) || (float) $maxAge <= 0)) {
            throw new UserError("--backup-max-age-hours must be a positive number of hours, got \"$maxAge\"");
        }
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
        $password = rtrim($this->stdin(), "\r\n");
        PlatformConfig::save($this->paths, [
            'mysql' => [
                'host' => $args->required('mysql-host'),
                'port' => (int) $port,
                'socket' => $args->option('mysql-socket'),
                'user' => $args->required('mysql-user'),
                'password' => $password,
            ],
            'phpUser' => $phpUser,
            'borgRepo' => $args->option('borg-repo', $this->paths->backups() . '/borg'),
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
            'backupMaxAgeHours' => $maxAge === null ? null : (float) $maxAge,
        ], static fn ($v) => $v !== null));
        $this->out('platform config written to ' . $this->paths->platformConfig());
        return ExitCode::OK;
    }

    private function show(): int
    {
        $data = PlatformConfig::load($this->paths)->toArray();
        unset($data['mysql']['password']);
        $this->json($data);
        return ExitCode::OK;
    }
}
