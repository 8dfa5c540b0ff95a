<?php
declare(strict_types=1);

namespace MokoWaaS\Schema;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Db;
use MokoWaaS\SqlSplitter;

/**
 * Applies a schema set's update files to one Joomla database with Joomla's own bookkeeping
 * (Installer::parseSchemaUpdates): the extension's `#__schemas.version_id` is the newest applied
 * file; files whose name is version_compare-newer run statement by statement; a statement marked
 * CAN FAIL may fail; any other failure stops this database at that statement, and the version
 * recorded stays at the last file that completed.
 *
 * Within a file, progress is recorded per statement, because a file stopped half-way (MySQL killed,
 * a failed statement) must not run again from its top: Joomla's files are not all re-runnable
 * (6.0.0-2025-09-17 inserts a tour's steps with no NOT EXISTS guard, so a second pass duplicates
 * them; an ALTER ... ADD COLUMN without CAN FAIL fails the second time). The row in
 * `#__mokowaas_schema_progress` (PROGRESS) says how many statements of which file (and which
 * content) are done; a data statement and its progress update commit in one transaction, so after
 * a crash either both happened or neither. DDL commits on its own: only the one DDL statement that
 * was cut off when the server went away may have taken effect unrecorded, so on resume that
 * statement, and only that one, counts as done when MySQL answers that its effect is already there
 * (ALREADY_APPLIED); a statement that failed with an error is noted as such and runs as usual.
 * Joomla itself re-runs the whole update after a failure and leaves repairs to its Database page,
 * which judges DDL by the structure it finds and skips data statements: this is the same rule for
 * DDL, and exact bookkeeping for data. The table exists only while a file is in progress or after a
 * stop; a run that completes drops it.
 */
final class Migrator
{
    private const PROGRESS = 'mokowaas_schema_progress';

    /**
     * What a DDL statement answers when its effect is already there: table exists (1050), unknown
     * table on DROP (1051), duplicate column (1060), duplicate key name (1061), nothing to DROP (1091).
     */
    private const ALREADY_APPLIED = [1050, 1051, 1060, 1061, 1091];

    public function __construct(private readonly Db $db, private readonly string $prefix)
    {
    }

    private function t(string $table): string
    {
        return Db::ident($this->prefix . $table);
    }

    public function extensionId(SchemaSet $set): int
    {
        $id = $this->findExtension($set);
        if ($id === null) {
            $e = $set->extension;
            throw new UserError("{$this->db->label} has no {$e['type']} extension \"{$e['element']}\" in {$this->prefix}extensions: not a Joomla database, or the prefix is wrong", ExitCode::NOT_READY);
        }
        return $id;
    }

    /** Whether the set's extension is installed (a row, not a discovered one) in this database. */
    public function installed(SchemaSet $set): bool
    {
        $id = $this->findExtension($set);
        return $id !== null && $this->db->value('SELECT state FROM ' . $this->t('extensions') . ' WHERE extension_id = ' . $id) !== '-1';
    }

    private function findExtension(SchemaSet $set): ?int
    {
        $e = $set->extension;
        $id = $this->db->value('SELECT extension_id FROM ' . $this->t('extensions')
            . ' WHERE type = ' . $this->db->quote($e['type']) . ' AND element = ' . $this->db->quote($e['element'])
            . ' AND folder = ' . $this->db->quote($e['folder']) . ' AND client_id = ' . (int) $e['client_id']
            . ' ORDER BY extension_id LIMIT 1');
        return $id === null ? null : (int) $id;
    }

    /** The recorded schema version, or null when the extension has no #__schemas row. */
    public function currentVersion(int $eid): ?string
    {
        $versions = $this->db->column('SELECT version_id FROM ' . $this->t('schemas') . ' WHERE extension_id = ' . $eid);
        if ($versions === []) {
            return null;
        }
        usort($versions, 'version_compare');
        return end($versions);
    }

    /** @return list<string> */
    public function pending(SchemaSet $set): array
    {
        return $set->pendingAfter($this->currentVersion($this->extensionId($set)));
    }

    public function setVersion(int $eid, string $version): void
    {
        $this->db->exec('START TRANSACTION');
        $this->db->exec('DELETE FROM ' . $this->t('schemas') . ' WHERE extension_id = ' . $eid);
        $this->db->exec('INSERT INTO ' . $this->t('schemas') . ' (extension_id, version_id) VALUES (' . $eid . ', ' . $this->db->quote($version) . ')');
        $this->db->exec('COMMIT');
    }

    /** Stores the release manifest (its version) as the extension's manifest cache, as Joomla's update does. */
    public function refreshManifestCache(SchemaSet $set): void
    {
        $this->db->exec('UPDATE ' . $this->t('extensions') . ' SET manifest_cache = ' . $this->db->quote($set->manifestCache())
            . ' WHERE extension_id = ' . $this->extensionId($set));
    }

    /**
     * Runs every pending file, resuming a file that an earlier run left half-way. $onFile is called
     * after each completed file.
     *
     * @param callable(string): void|null $onFile
     * @return array{from: ?string, applied: list<string>, toleratedFailures: list<array{file: string, line: int, error: string}>, resumed?: array{file: string, line: int}}
     * @throws MigrationFailure
     */
    public function apply(SchemaSet $set, ?callable $onFile = null): array
    {
        $eid = $this->extensionId($set);
        $from = $this->currentVersion($eid);
        $applied = [];
        $tolerated = [];
        $resumed = [];
        $pending = $set->pendingAfter($from);
        $progress = $pending === [] ? null : $this->openProgress($eid);
        foreach ($pending as $version) {
            $file = basename($set->file($version));
            $sql = @file_get_contents($set->file($version));
            if ($sql === false) {
                throw new MigrationFailure($set->name, $file, 0, '', 'cannot read the update file');
            }
            $sha1 = sha1($sql);
            // Resume only the very file, unchanged, that the row describes; otherwise start it from its top.
            $resume = $progress !== null && $progress['version'] === $version && $progress['sha1'] === $sha1 ? $progress : null;
            $progress = null;
            $done = $resume['done'] ?? null;
            // A statement that failed with an error, unlike one cut off by a lost server, did not take effect.
            $cutOff = $resume !== null && !$resume['failed'];
            if ($done === null) {
                $this->recordProgress($eid, $version, $sha1, 0);
            }
            foreach (SqlSplitter::split($sql) as $i => $stmt) {
                if ($done !== null && $i < $done) {
                    continue;
                }
                if ($done !== null && $i === $done) {
                    $resumed = ['resumed' => ['file' => $file, 'line' => $stmt['line']]];
                }
                $inFlight = $cutOff && $i === $done;
                $query = SqlSplitter::replacePrefix($stmt['sql'], $this->prefix);
                try {
                    $this->db->exec('START TRANSACTION');
                    $this->db->exec($query);
                } catch (\mysqli_sql_exception $e) {
                    if ($inFlight && self::alreadyApplied($query, $e->getCode())) {
                        $tolerated[] = ['file' => $file, 'line' => $stmt['line'], 'error' => 'already applied before the interruption: ' . $e->getMessage()];
                    } elseif ($stmt['canFail']) {
                        $tolerated[] = ['file' => $file, 'line' => $stmt['line'], 'error' => $e->getMessage()];
                    } else {
                        $this->recordFailure($eid, $e->getMessage());
                        throw new MigrationFailure($set->name, $file, $stmt['line'], self::excerpt($stmt['sql']), $e->getMessage());
                    }
                }
                $this->db->exec('UPDATE ' . $this->t(self::PROGRESS) . ' SET statements_done = ' . ($i + 1) . ', last_error = NULL WHERE extension_id = ' . $eid);
                $this->db->exec('COMMIT');
            }
            $this->completeFile($eid, $version);
            $applied[] = $version;
            if ($onFile !== null) {
                $onFile($version);
            }
        }
        if ($pending !== [] || $this->progressTableExists()) {
            $this->closeProgress();
        }
        // Joomla's update rewrites the manifest cache (the installed version) on every update.
        $this->refreshManifestCache($set);
        return ['from' => $from, 'applied' => $applied, 'toleratedFailures' => $tolerated] + $resumed;
    }

    /**
     * Creates the progress table when missing and returns this extension's row, if an earlier run left one.
     *
     * @return array{version: string, sha1: string, done: int, failed: bool}|null
     */
    private function openProgress(int $eid): ?array
    {
        $this->db->exec('CREATE TABLE IF NOT EXISTS ' . $this->t(self::PROGRESS) . ' (extension_id INT NOT NULL PRIMARY KEY,'
            . ' version_id VARCHAR(100) NOT NULL, file_sha1 CHAR(40) NOT NULL, statements_done INT NOT NULL, last_error TEXT NULL)'
            . ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci');
        $rows = $this->db->rows('SELECT version_id, file_sha1, statements_done, last_error FROM ' . $this->t(self::PROGRESS) . ' WHERE extension_id = ' . $eid);
        if ($rows === []) {
            return null;
        }
        return ['version' => (string) $rows[0]['version_id'], 'sha1' => (string) $rows[0]['file_sha1'], 'done' => (int) $rows[0]['statements_done'],
            'failed' => $rows[0]['last_error'] !== null];
    }

    private function recordProgress(int $eid, string $version, string $sha1, int $done): void
    {
        $this->db->exec('REPLACE INTO ' . $this->t(self::PROGRESS) . ' (extension_id, version_id, file_sha1, statements_done) VALUES ('
            . $eid . ', ' . $this->db->quote($version) . ', ' . $this->db->quote($sha1) . ', ' . $done . ')');
    }

    /** The file's version in #__schemas and the end of its progress row, in one transaction. */
    private function completeFile(int $eid, string $version): void
    {
        $this->db->exec('START TRANSACTION');
        $this->db->exec('DELETE FROM ' . $this->t(self::PROGRESS) . ' WHERE extension_id = ' . $eid);
        $this->db->exec('DELETE FROM ' . $this->t('schemas') . ' WHERE extension_id = ' . $eid);
        $this->db->exec('INSERT INTO ' . $this->t('schemas') . ' (extension_id, version_id) VALUES (' . $eid . ', ' . $this->db->quote($version) . ')');
        $this->db->exec('COMMIT');
    }

    /** Drops the progress table once no schema set has a file in progress (another set's stopped row keeps it). */
    private function closeProgress(): void
    {
        if ($this->db->value('SELECT COUNT(*) FROM ' . $this->t(self::PROGRESS)) === '0') {
            $this->db->exec('DROP TABLE IF EXISTS ' . $this->t(self::PROGRESS));
        }
    }

    private function progressTableExists(): bool
    {
        return $this->db->value('SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '
            . $this->db->quote($this->prefix . self::PROGRESS)) === '1';
    }

    /** Notes that the next statement failed with an error (so a re-run does not take it for cut off). */
    private function recordFailure(int $eid, string $error): void
    {
        try {
            $this->db->exec('ROLLBACK');
            $this->db->exec('UPDATE ' . $this->t(self::PROGRESS) . ' SET last_error = ' . $this->db->quote($error) . ' WHERE extension_id = ' . $eid);
        } catch (\mysqli_sql_exception) { // @mago-expect lint:no-empty-catch-clause
            // The server is gone: it rolls the transaction back itself, and the statement counts as cut off.
        }
    }

    /**
     * A DDL statement's error that means its effect is already there. Data statements never qualify:
     * they commit together with their progress row, so an unrecorded one did not happen.
     */
    private static function alreadyApplied(string $sql, int $errno): bool
    {
        return preg_match('/^\s*(ALTER|CREATE|DROP)\b/i', $sql) === 1 && in_array($errno, self::ALREADY_APPLIED, true);
    }

    private static function excerpt(string $sql): string
    {
        $one = preg_replace('/\s+/', ' ', $sql) ?? $sql;
        return strlen($one) > 300 ? substr($one, 0, 300) . '...' : $one;
    }
}
