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
 * recorded stays at the last file that completed, so a re-run resumes with the failed file.
 */
final class Migrator
{
    public function __construct(private readonly Db $db, private readonly string $prefix)
    {
    }

    private function t(string $table): string
    {
        return Db::ident($this->prefix . $table);
    }

    public function extensionId(SchemaSet $set): int
    {
        $e = $set->extension;
        $id = $this->db->value('SELECT extension_id FROM ' . $this->t('extensions')
            . ' WHERE type = ' . $this->db->quote($e['type']) . ' AND element = ' . $this->db->quote($e['element'])
            . ' AND folder = ' . $this->db->quote($e['folder']) . ' AND client_id = ' . (int) $e['client_id']
            . ' ORDER BY extension_id LIMIT 1');
        if ($id === null) {
            throw new UserError("{$this->db->label} has no {$e['type']} extension \"{$e['element']}\" in {$this->prefix}extensions: not a Joomla database, or the prefix is wrong", ExitCode::NOT_READY);
        }
        return (int) $id;
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
     * Runs every pending file. $onFile is called after each completed file.
     *
     * @param callable(string): void|null $onFile
     * @return array{from: ?string, applied: list<string>, toleratedFailures: list<array{file: string, line: int, error: string}>}
     * @throws MigrationFailure
     */
    public function apply(SchemaSet $set, ?callable $onFile = null): array
    {
        $eid = $this->extensionId($set);
        $from = $this->currentVersion($eid);
        $applied = [];
        $tolerated = [];
        foreach ($set->pendingAfter($from) as $version) {
            $file = basename($set->file($version));
            $sql = @file_get_contents($set->file($version));
            if ($sql === false) {
                throw new MigrationFailure($set->name, $file, 0, '', 'cannot read the update file');
            }
            foreach (SqlSplitter::split($sql) as $stmt) {
                $query = SqlSplitter::replacePrefix($stmt['sql'], $this->prefix);
                try {
                    $this->db->exec($query);
                } catch (\mysqli_sql_exception $e) {
                    if (!$stmt['canFail']) {
                        throw new MigrationFailure($set->name, $file, $stmt['line'], self::excerpt($stmt['sql']), $e->getMessage());
                    }
                    $tolerated[] = ['file' => $file, 'line' => $stmt['line'], 'error' => $e->getMessage()];
                }
            }
            $this->setVersion($eid, $version);
            $applied[] = $version;
            if ($onFile !== null) {
                $onFile($version);
            }
        }
        // Joomla's update rewrites the manifest cache (the installed version) on every update.
        $this->refreshManifestCache($set);
        return ['from' => $from, 'applied' => $applied, 'toleratedFailures' => $tolerated];
    }

    private static function excerpt(string $sql): string
    {
        $one = preg_replace('/\s+/', ' ', $sql) ?? $sql;
        return strlen($one) > 300 ? substr($one, 0, 300) . '...' : $one;
    }
}
