<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * Splits a Joomla SQL file into statements the way Joomla's installer runs them:
 * - quoted text ('...', "...", with backslash escapes and doubled quotes) and `identifiers` are
 *   never split and never treated as comments;
 * - comments (`-- ` to end of line, `#` to end of line unless it starts the `#__` prefix
 *   placeholder, `/* ... * /`) are dropped, except MySQL's
 *   executable comments `/*! ... * /`, which are kept verbatim;
 * - a `/** CAN FAIL ** /` comment right before a statement's terminator marks the statement as
 *   allowed to fail (Joomla's Installer::CAN_FAIL_MARKER rule);
 * - `DELIMITER xx` lines change the terminator, as in the mysql client.
 * `#__` is replaced by the table prefix outside quoted text only (Joomla's replacePrefix rule: a
 * `#__` inside a string is data, e.g. JSON naming a table, and stays as it is).
 */
final class SqlSplitter
{
    public const CAN_FAIL_MARKER = '/** CAN FAIL **/';

    /**
     * @return list<array{sql: string, canFail: bool, line: int}> statements without terminator,
     *         `line` is where the statement starts in the file (1-based)
     */
    public static function split(string $sql): array
    {
        $out = [];
        $len = strlen($sql);
        $delim = ';';
        $buf = '';
        $canFail = false;      // a CAN FAIL marker was the last thing seen in this statement
        $line = 1;
        $startLine = null;
        $atLineStart = true;
        $i = 0;
        $flush = static function () use (&$out, &$buf, &$canFail, &$startLine): void {
            $stmt = trim($buf);
            if ($stmt !== '') {
                // @mago-expect analysis:redundant-null-coalesce ($startLine is set by reference, outside this closure)
                $out[] = ['sql' => $stmt, 'canFail' => $canFail, 'line' => $startLine ?? 1];
            }
            $buf = '';
            $canFail = false;
            $startLine = null;
        };
        while ($i < $len) {
            $c = $sql[$i];
            // DELIMITER directive: only at the start of a line and outside any statement.
            if ($atLineStart && trim($buf) === '' && preg_match('/\G[ \t]*DELIMITER[ \t]+(\S+)[ \t]*(?:\r?\n|$)/Ai', $sql, $m, 0, $i)) {
                $delim = $m[1];
                $i += strlen($m[0]);
                $line++;
                continue;
            }
            $atLineStart = false;
            if ($c === "\n") {
                $line++;
                $atLineStart = true;
                $buf .= $c;
                $i++;
                continue;
            }
            if ($c === "'" || $c === '"' || $c === '`') {
                $startLine ??= $line;
                $j = $i + 1;
                while ($j < $len) {
                    $d = $sql[$j];
                    if ($d === '\\' && $c !== '`') {
                        $j += 2;
                        continue;
                    }
                    if ($d === $c) {
                        if ($j + 1 < $len && $sql[$j + 1] === $c) {
                            $j += 2;
                            continue;
                        }
                        break;
                    }
                    $j++;
                }
                $chunk = substr($sql, $i, $j - $i + 1);
                $line += substr_count($chunk, "\n");
                $buf .= $chunk;
                $canFail = false;
                $i = $j + 1;
                continue;
            }
            if (($c === '-' && substr($sql, $i, 2) === '--' && ($i + 2 >= $len || ctype_space($sql[$i + 2])))
                || ($c === '#' && substr($sql, $i + 1, 2) !== '__')) {
                $end = strpos($sql, "\n", $i);
                $i = $end === false ? $len : $end;
                continue;
            }
            if ($c === '/' && ($sql[$i + 1] ?? '') === '*') {
                $end = strpos($sql, '*/', $i + 2);
                $end = $end === false ? $len : $end + 2;
                $comment = substr($sql, $i, $end - $i);
                $line += substr_count($comment, "\n");
                $i = $end;
                if (($comment[2] ?? '') === '!') {
                    $startLine ??= $line;
                    $buf .= $comment;
                    $canFail = false;
                } elseif (strtoupper($comment) === self::CAN_FAIL_MARKER) {
                    $canFail = true;
                    $buf .= ' ';
                } else {
                    $buf .= ' ';
                }
                continue;
            }
            if (substr_compare($sql, $delim, $i, strlen($delim)) === 0) {
                $flush();
                $i += strlen($delim);
                continue;
            }
            if (!ctype_space($c)) {
                $startLine ??= $line;
                $canFail = false;
            }
            $buf .= $c;
            $i++;
        }
        $flush();
        return $out;
    }

    /** Replaces `#__` with $prefix outside '...' and "..." (backtick identifiers are replaced). */
    public static function replacePrefix(string $sql, string $prefix): string
    {
        if (!str_contains($sql, '#__')) {
            return $sql;
        }
        $out = '';
        $len = strlen($sql);
        $i = 0;
        while ($i < $len) {
            $c = $sql[$i];
            if ($c === "'" || $c === '"') {
                $j = $i + 1;
                while ($j < $len) {
                    if ($sql[$j] === '\\') {
                        $j += 2;
                        continue;
                    }
                    if ($sql[$j] === $c) {
                        if ($j + 1 < $len && $sql[$j + 1] === $c) {
                            $j += 2;
                            continue;
                        }
                        break;
                    }
                    $j++;
                }
                $out .= substr($sql, $i, $j - $i + 1);
                $i = $j + 1;
                continue;
            }
            if ($c === '#' && substr($sql, $i, 3) === '#__') {
                $out .= $prefix;
                $i += 3;
                continue;
            }
            $out .= $c;
            $i++;
        }
        return $out;
    }
}
