<?php
declare(strict_types=1);

namespace MokoWaaS;

/** External commands run without a shell (argv as a list), stdin from /dev/null. */
final class Exec
{
    /**
     * @param list<string> $cmd
     * @return array{int, string} the exit code and what it wrote (stdout, then stderr)
     */
    public static function capture(array $cmd, ?string $cwd = null): array
    {
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd);
        if (!is_resource($p)) {
            return [127, "cannot start $cmd[0]"];
        }
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($p), (string) $out];
    }

    /**
     * Runs $cmd; a non-zero exit throws with its output, named by $what (default: the command line).
     *
     * @param list<string> $cmd
     */
    public static function run(array $cmd, ?string $what = null): void
    {
        [$code, $out] = self::capture($cmd);
        if ($code !== 0) {
            throw new \RuntimeException(($what ?? implode(' ', $cmd)) . ": $cmd[0] exited $code: " . trim($out));
        }
    }
}
