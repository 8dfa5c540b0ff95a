<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * A mysqli connection that throws on every error. Two kinds: the platform's admin connection
 * (platform config) and a tenant's own connection (its registry entry's `db`), so checks such as
 * health really use the tenant's credentials.
 */
final class Db
{
    private function __construct(public readonly \mysqli $link, public readonly string $label)
    {
    }

    /** @param array{host: string, port: int, socket?: ?string, user: string, password: string} $c */
    public static function connect(array $c, ?string $database = null, string $label = 'database', int $timeout = 10): self
    {
        mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
        $link = mysqli_init();
        if ($link === false) {
            throw new \RuntimeException('mysqli_init failed');
        }
        $link->options(MYSQLI_OPT_CONNECT_TIMEOUT, $timeout);
        $socket = $c['socket'] ?? null;
        try {
            // A socket is used only for localhost; a TCP host wins otherwise (mysqli's own rule).
            $link->real_connect($socket !== null ? 'localhost' : $c['host'], $c['user'], $c['password'], $database, (int) $c['port'], $socket);
        } catch (\mysqli_sql_exception $e) {
            // The message names the account and server, never the password.
            throw new UserError("cannot connect to $label as {$c['user']}@" . ($socket ?? "{$c['host']}:{$c['port']}") . ': ' . $e->getMessage(), ExitCode::NOT_READY);
        }
        $link->set_charset('utf8mb4');
        return new self($link, $label);
    }

    public static function admin(PlatformConfig $config, ?string $database = null): self
    {
        return self::connect($config->mysql(), $database, 'the MySQL admin account');
    }

    /** The tenant's own account from its registry entry. @param array<string, mixed> $entry */
    public static function tenant(array $entry, int $timeout = 10): self
    {
        $db = $entry['db'];
        return self::connect([
            'host' => (string) $db['host'], 'port' => (int) ($db['port'] ?? 3306), 'socket' => null,
            'user' => (string) $db['user'], 'password' => (string) $db['password'],
        ], (string) $db['name'], "tenant {$entry['tenant']}'s database", $timeout);
    }

    /** The session SQL mode Joomla's mysqli driver sets, so statements behave as they do under Joomla. */
    public function joomlaSqlMode(): void
    {
        $this->exec("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
    }

    public function exec(string $sql): void
    {
        $r = $this->link->query($sql);
        if ($r instanceof \mysqli_result) {
            $r->free();
        }
    }

    /** @return list<array<string, ?string>> */
    public function rows(string $sql): array
    {
        $r = $this->link->query($sql);
        if (!$r instanceof \mysqli_result) {
            return [];
        }
        $rows = $r->fetch_all(MYSQLI_ASSOC);
        $r->free();
        return $rows;
    }

    public function value(string $sql): ?string
    {
        $rows = $this->rows($sql);
        if ($rows === []) {
            return null;
        }
        $v = reset($rows[0]);
        return $v === null ? null : (string) $v;
    }

    /** @return list<string> */
    public function column(string $sql): array
    {
        return array_map(static fn (array $r): string => (string) reset($r), $this->rows($sql));
    }

    public function quote(?string $value): string
    {
        return $value === null ? 'NULL' : "'" . $this->link->real_escape_string($value) . "'";
    }

    public static function ident(string $name): string
    {
        return '`' . str_replace('`', '``', $name) . '`';
    }

    /** Base tables of a database (views and the like excluded). @return list<string> */
    public function tables(string $database): array
    {
        return $this->column('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ' . $this->quote($database)
            . " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
    }

    public function databaseExists(string $database): bool
    {
        return $this->value('SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ' . $this->quote($database)) === '1';
    }

    public function close(): void
    {
        try {
            $this->link->close();
        } catch (\Throwable) { // @mago-expect lint:no-empty-catch-clause
            // Closing a link the server already dropped: nothing left to release.
        }
    }
}
