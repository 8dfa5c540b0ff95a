<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * A throwaway MySQL account that reaches one database only, for Joomla's own installers, which
 * take their credentials in argv (the CLI installer) or a configuration file: a random name and
 * password, useless once dropped right after the run.
 */
final class MysqlTempAccount
{
    private const HOSTS = ['localhost', '127.0.0.1', '::1'];

    private function __construct(private readonly Db $admin, public readonly string $user, #[\SensitiveParameter] public readonly string $password)
    {
    }

    /** Creates the account with every privilege on $database (dropped again if that fails half-way). */
    public static function create(Db $admin, string $database, string $namePrefix): self
    {
        $account = new self($admin, $namePrefix . bin2hex(random_bytes(4)), bin2hex(random_bytes(24)));
        try {
            foreach (self::HOSTS as $h) {
                $admin->exec("CREATE USER '{$account->user}'@'$h' IDENTIFIED BY '{$account->password}'");
                $admin->exec('GRANT ALL PRIVILEGES ON ' . Db::ident($database) . ".* TO '{$account->user}'@'$h'");
            }
        } catch (\Throwable $e) {
            $account->drop();
            throw $e;
        }
        return $account;
    }

    /** Joomla's `host` for the platform's MySQL: host:port, or localhost:<socket>. */
    public static function joomlaHost(PlatformConfig $config): string
    {
        $m = $config->mysql();
        return $m['socket'] !== null ? 'localhost:' . $m['socket'] : $m['host'] . ':' . $m['port'];
    }

    public function drop(): void
    {
        foreach (self::HOSTS as $h) {
            try {
                $this->admin->exec("DROP USER IF EXISTS '{$this->user}'@'$h'");
            } catch (\Throwable) { // @mago-expect lint:no-empty-catch-clause
                // Best effort: the account may be gone already or the server away.
            }
        }
    }
}
