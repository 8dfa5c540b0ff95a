/**
 * The contract docroot: a FAKE Joomla release, used only where a test checks the bootstrap's
 * contract in isolation (what defines.php and configuration.php hand Joomla for each host and
 * entry point); everything a test says about Joomla itself runs real Joomla (test/runtime/joomla.test.ts).
 * It has the same entry points and include order as Joomla 6 (../shared/reference/joomla6.md):
 * index.php, administrator/index.php, api/index.php, cli/joomla.php, each app's includes/app.php,
 * includes/defines.php (every constant presettable) and includes/framework.php (configuration.php
 * checks, `ob_start(); require configuration.php; new JConfig()`), but instead of booting Joomla
 * it connects with JConfig's credentials and prints the tenant's marker row, its JPATH constants
 * and JConfig values as JSON. Our bootstrap is installed on top of it by the real
 * `mokowaas release bootstrap`, exactly as on a server.
 *
 * Every PHP notice, warning or deprecation (a redefined constant, a dynamic JConfig property)
 * turns into an HTTP 500 / CLI exit 70, so a sloppy bootstrap fails the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Table every contract-docroot tenant database holds: one row naming the tenant. */
export const MARKER_TABLE = "mokowaas_marker";

/** SQL that creates the marker table with one row in a tenant database (prefix as in the entry). */
export function markerSql(prefix: string, marker: string, imagePath: string): string {
    const q = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    return `CREATE TABLE \`${prefix}${MARKER_TABLE}\` (marker VARCHAR(100) NOT NULL, image_path VARCHAR(255) NOT NULL);
INSERT INTO \`${prefix}${MARKER_TABLE}\` VALUES (${q(marker)}, ${q(imagePath)});`;
}

const strict = `set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
    if (!(error_reporting() & $no)) {
        return false; // silenced with @, as Joomla does around its own writes
    }
    throw new ErrorException("$msg at $file:$line", 0, $no, $file, $line);
});`;

// Constants every app's includes/defines.php presets the way Joomla does: each one only if unset.
const definesFor = (app: "site" | "administrator" | "api") => `<?php
\\defined('_JEXEC') or die;
\\defined('JPATH_BASE') || \\define('JPATH_BASE', dirname(__DIR__));
$parts = explode(DIRECTORY_SEPARATOR, JPATH_BASE);
${app === "site" ? "" : "array_pop($parts);"}
\\defined('JPATH_ROOT') || \\define('JPATH_ROOT', implode(DIRECTORY_SEPARATOR, $parts));
\\defined('JPATH_SITE') || \\define('JPATH_SITE', JPATH_ROOT);
\\defined('JPATH_PUBLIC') || \\define('JPATH_PUBLIC', JPATH_ROOT);
\\defined('JPATH_CONFIGURATION') || \\define('JPATH_CONFIGURATION', JPATH_ROOT);
\\defined('JPATH_ADMINISTRATOR') || \\define('JPATH_ADMINISTRATOR', JPATH_ROOT . DIRECTORY_SEPARATOR . 'administrator');
\\defined('JPATH_LIBRARIES') || \\define('JPATH_LIBRARIES', JPATH_ROOT . DIRECTORY_SEPARATOR . 'libraries');
\\defined('JPATH_PLUGINS') || \\define('JPATH_PLUGINS', JPATH_ROOT . DIRECTORY_SEPARATOR . 'plugins');
\\defined('JPATH_INSTALLATION') || \\define('JPATH_INSTALLATION', JPATH_ROOT . DIRECTORY_SEPARATOR . 'installation');
\\defined('JPATH_THEMES') || \\define('JPATH_THEMES', JPATH_BASE . DIRECTORY_SEPARATOR . 'templates');
\\defined('JPATH_CACHE') || \\define('JPATH_CACHE', JPATH_ADMINISTRATOR . DIRECTORY_SEPARATOR . 'cache');
\\defined('JPATH_MANIFESTS') || \\define('JPATH_MANIFESTS', JPATH_ADMINISTRATOR . DIRECTORY_SEPARATOR . 'manifests');
\\defined('JPATH_API') || \\define('JPATH_API', JPATH_ROOT . DIRECTORY_SEPARATOR . 'api');
\\defined('JPATH_CLI') || \\define('JPATH_CLI', JPATH_ROOT . DIRECTORY_SEPARATOR . 'cli');
`;

// includes/framework.php: the configuration.php checks, then the buffered include and new JConfig.
const framework = `<?php
\\defined('_JEXEC') or die;
if (!file_exists(JPATH_CONFIGURATION . '/configuration.php') || filesize(JPATH_CONFIGURATION . '/configuration.php') < 10
    || file_exists(JPATH_INSTALLATION . '/index.php')) {
    if (PHP_SAPI === 'cli') {
        echo 'No configuration file found and no installation code available. Exiting...' . PHP_EOL;
        exit(1);
    }
    header('Location: installation/index.php');
    exit;
}
ob_start();
require_once JPATH_CONFIGURATION . '/configuration.php';
ob_end_clean();
$config = new JConfig();
require_once JPATH_LIBRARIES . '/contract.php';
`;

// includes/app.php of a web app: its own defines.php (if any), then ALWAYS its includes/defines.php.
const app = (definesDir: string, name: string) => `<?php
\\defined('_JEXEC') or die;
if (file_exists(${definesDir} . '/defines.php')) {
    include_once ${definesDir} . '/defines.php';
}
require_once __DIR__ . '/defines.php';
if (!file_exists(JPATH_LIBRARIES . '/vendor/autoload.php') || !is_dir(JPATH_PUBLIC . '/media/vendor')) {
    echo file_get_contents(JPATH_ROOT . '/templates/system/build_incomplete.html');
    exit;
}
require_once JPATH_BASE . '/includes/framework.php';
mokowaas_contract('${name}');
`;

const index = (appFile: string) => `<?php
// Joomla 6 checks JOOMLA_MINIMUM_PHP (8.3.0) here.
${strict}
\\define('_JEXEC', 1);
require_once __DIR__ . '/${appFile}';
`;

// The "application": builds JConfig again (as Joomla does), connects with its credentials, prints the marker.
const contract = `<?php
\\defined('_JEXEC') or die;

function mokowaas_contract(string $app): void
{
    $config = new JConfig();
    $again = new JConfig();
    $declared = array_keys(get_class_vars(JConfig::class));
    $dynamic = array_values(array_diff(array_keys(get_object_vars($config)), $declared));
    [$host, $port] = array_pad(explode(':', $config->host, 2), 2, '3306');
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    $db = new mysqli($host, $config->user, $config->password, $config->db, (int) $port);
    $row = $db->query('SELECT marker, image_path FROM ' . $config->dbprefix . '${MARKER_TABLE} LIMIT 1')->fetch_assoc();
    $out = [
        'app' => $app,
        'marker' => $row['marker'],
        'sameConfig' => $config == $again,
        'dynamicProperties' => $dynamic,
        'jpath' => [
            'base' => JPATH_BASE, 'root' => JPATH_ROOT, 'cache' => JPATH_CACHE,
            'configuration' => JPATH_CONFIGURATION, 'administrator' => JPATH_ADMINISTRATOR,
        ],
        'config' => [
            'sitename' => $config->sitename, 'db' => $config->db, 'user' => $config->user, 'dbprefix' => $config->dbprefix,
            'tmp_path' => $config->tmp_path, 'log_path' => $config->log_path, 'live_site' => $config->live_site,
            'session_handler' => $config->session_handler, 'session_filesystem_path' => $config->session_filesystem_path,
            'mailfrom' => $config->mailfrom, 'robots' => $config->robots, 'offline' => $config->offline,
        ],
    ];
    if (PHP_SAPI !== 'cli') {
        header('Content-Type: application/json');
    }
    echo json_encode($out, JSON_UNESCAPED_SLASHES), "\\n";
}
`;

const cli = `<?php
${strict}
const _JEXEC = 1;
if (file_exists(dirname(__DIR__) . '/defines.php')) {
    require_once dirname(__DIR__) . '/defines.php';
}
if (!defined('_JDEFINES')) {
    define('JPATH_BASE', dirname(__DIR__));
    require_once JPATH_BASE . '/includes/defines.php';
}
if (!file_exists(JPATH_LIBRARIES . '/vendor/autoload.php') || !is_dir(JPATH_ROOT . '/media/vendor')) {
    echo 'It looks like you are trying to run Joomla! from our git repository.' . PHP_EOL;
    exit(1);
}
require_once JPATH_BASE . '/includes/framework.php';
mokowaas_contract('cli');
`;

/**
 * Writes the contract docroot into `dir` (created if missing). Owned by whoever runs it (root in
 * tests); `mokowaas release bootstrap` then installs our files into it.
 */
export function writeContractDocroot(dir: string): void {
    const files: Record<string, string> = {
        "index.php": index("includes/app.php"),
        "includes/app.php": app("dirname(__DIR__)", "site"),
        "includes/defines.php": definesFor("site"),
        "includes/framework.php": framework,
        "administrator/index.php": index("includes/app.php"),
        "administrator/includes/app.php": app("dirname(__DIR__)", "administrator"),
        "administrator/includes/defines.php": definesFor("administrator"),
        "administrator/includes/framework.php": framework,
        "api/index.php": index("includes/app.php"),
        "api/includes/app.php": app("dirname(__DIR__)", "api"),
        "api/includes/defines.php": definesFor("api"),
        "api/includes/framework.php": framework,
        "cli/joomla.php": cli,
        "libraries/contract.php": contract,
        "libraries/vendor/autoload.php": "<?php\n",
        "templates/system/build_incomplete.html": "<p>build incomplete</p>\n",
        "media/vendor/.keep": "",
        "media/system/css/site.css": "body{}\n",
        "images/joomla_black.png": "not really a png\n",
        "tmp/index.html": "<!DOCTYPE html><title></title>\n",
        "administrator/logs/error.php": "<?php die('Forbidden.'); ?>\nsecret log line\n",
        "README.sql": "-- a dump that must never be served\n",
        ".git/config": "[core]\n",
    };
    for (const [rel, content] of Object.entries(files)) {
        const file = path.join(dir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
        fs.writeFileSync(file, content, { mode: 0o644 });
    }
}
