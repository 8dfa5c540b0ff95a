<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * mysqldump and mysql with the platform's admin account. The credentials go into a temporary 0600
 * option file removed right after: never argv, never the environment. It is the only option file
 * read (`--defaults-file`): a host's my.cnf cannot redirect the connection, and a client wrapper
 * that pins its own option file steps aside (MySQL ignores --defaults-extra-file under one).
 */
final class Mysqldump
{
    /** @param array{host: string, port: int, socket: ?string, user: string, password: string} $mysql */
    private static function withDefaultsFile(array $mysql, string $dir, callable $fn): void
    {
        $file = $dir . '/.my-' . bin2hex(random_bytes(6)) . '.cnf';
        $q = static fn (string $v): string => '"' . addcslashes($v, "\\\"\n\r\t") . '"';
        $lines = ['[client]', 'user=' . $q($mysql['user']), 'password=' . $q($mysql['password'])];
        if ($mysql['socket'] !== null) {
            $lines[] = 'socket=' . $q($mysql['socket']);
        } else {
            $lines[] = 'host=' . $q($mysql['host']);
            $lines[] = 'port=' . (int) $mysql['port'];
            $lines[] = 'protocol=TCP';
        }
        $h = fopen($file, 'x');
        if ($h === false) {
            throw new \RuntimeException("cannot create $file");
        }
        chmod($file, 0600);
        fwrite($h, implode("\n", $lines) . "\n");
        fclose($h);
        try {
            $fn($file);
        } finally {
            @unlink($file);
        }
    }

    /**
     * A consistent dump of one database (InnoDB snapshot: --single-transaction), no CREATE DATABASE.
     * Without GTID_PURGED: MySQL 8+ has GTIDs on, and a dump that sets them cannot be loaded back
     * into the server it came from (restore, clone).
     *
     * @param array{host: string, port: int, socket: ?string, user: string, password: string} $mysql
     */
    public static function dump(array $mysql, string $database, string $outFile): void
    {
        self::withDefaultsFile($mysql, dirname($outFile), static function (string $cnf) use ($database, $outFile): void {
            self::run(['mysqldump', "--defaults-file=$cnf", '--single-transaction', '--set-gtid-purged=OFF', '--quick', '--triggers', '--hex-blob',
                '--no-tablespaces', '--skip-dump-date', '--default-character-set=utf8mb4', "--result-file=$outFile", '--', $database], null, 'mysqldump');
        });
    }

    /** @param array{host: string, port: int, socket: ?string, user: string, password: string} $mysql */
    public static function load(array $mysql, string $database, string $inFile): void
    {
        self::withDefaultsFile($mysql, dirname($inFile), static function (string $cnf) use ($database, $inFile): void {
            self::run(['mysql', "--defaults-file=$cnf", '--default-character-set=utf8mb4', '--binary-mode', $database], $inFile, 'mysql (loading the dump)');
        });
    }

    /** @param list<string> $cmd */
    private static function run(array $cmd, ?string $stdinFile, string $what): void
    {
        $p = proc_open($cmd, [0 => $stdinFile !== null ? ['file', $stdinFile, 'r'] : ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($p)) {
            throw new \RuntimeException("cannot start $what");
        }
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[2]);
        if (($code = proc_close($p)) !== 0) {
            throw new \RuntimeException("$what failed (exit $code): " . trim(substr($err, -1500)));
        }
    }
}
