<?php
declare(strict_types=1);

// Benchmark helper: loads installation/sql/mysql/{base,supports,extensions}.sql of a release into an
// empty database the way the installer does (split, prefix, statement by statement).
// usage: php load-install-sql.php RELEASE DATABASE PREFIX   (MOKOWAAS_ROOT names the platform)

use MokoWaaS\Blueprint;
use MokoWaaS\Db;
use MokoWaaS\Paths;
use MokoWaaS\PlatformConfig;
use MokoWaaS\SqlSplitter;

require dirname(__DIR__, 2) . '/runtime/src/autoload.php';

[, $release, $database, $prefix] = $argv;
$db = Db::admin(PlatformConfig::load(Paths::fromEnv()), $database);
$db->joomlaSqlMode();
foreach (Blueprint::INSTALL_SQL as $f) {
    foreach (SqlSplitter::split((string) file_get_contents("$release/installation/sql/mysql/$f.sql")) as $stmt) {
        $db->exec(SqlSplitter::replacePrefix($stmt['sql'], $prefix));
    }
}
