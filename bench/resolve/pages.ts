/**
 * The two pages both benchmarks compare, written into a release (the contract docroot, test/harness/contract-docroot.ts) under bench/:
 * resolved.php boots like Joomla's index.php with our root defines.php (tenant resolution from the
 * Host header, per-tenant JPATH_CACHE) then our configuration.php and three `new JConfig`;
 * static.php does the same with a classic single-site configuration.php. Each reports the time
 * spent from its first line to the third JConfig in an `X-Bench-Ns` header, and in
 * `X-Bench-Server` whether PHP built $_SERVER by then (1/0): naming $_SERVER in any loaded file
 * costs ~35 µs here (auto_globals_jit), and opcache then makes every script compiled later in that
 * request build it too whenever it loads. Both sides must answer 0 for the ratio to be fair.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const page = (boot: string) => `<?php
$t0 = hrtime(true);
define('_JEXEC', 1);
${boot}
$c1 = new JConfig();
$c2 = new JConfig();
$c3 = new JConfig();
$ns = hrtime(true) - $t0;
header('X-Bench-Ns: ' . $ns);
header('X-Bench-Server: ' . (array_key_exists('_SERVER', $GLOBALS) ? 1 : 0));
echo '<!DOCTYPE html><title>', htmlspecialchars($c3->sitename), '</title><p>Hello from ', htmlspecialchars($c3->db), '</p>';
`;

// A configuration.php as Joomla's installer writes it (literal values, no logic).
const staticConfig = () => {
    const values: Record<string, string | number | boolean> = {
        offline: false, offline_message: "This site is down for maintenance.", display_offline_message: 1, offline_image: "",
        sitename: "Static site", editor: "tinymce", captcha: "0", list_limit: 20, access: 1, debug: false, debug_lang: false,
        debug_lang_const: true, dbtype: "mysqli", host: "127.0.0.1:3306", user: "static", password: "secret-password", db: "static",
        dbprefix: "jos_", dbencryption: 0, dbsslverifyservercert: false, dbsslkey: "", dbsslcert: "", dbsslca: "", dbsslcipher: "",
        force_ssl: 0, live_site: "", secret: "0123456789abcdef", gzip: false, error_reporting: "default", helpurl: "https://help.joomla.org/",
        offset: "UTC", mailonline: true, mailer: "mail", mailfrom: "webmaster@example.com", fromname: "Static site",
        sendmail: "/usr/sbin/sendmail", smtpauth: false, smtpuser: "", smtppass: "", smtphost: "localhost", smtpsecure: "none",
        smtpport: 25, caching: 0, cache_handler: "file", cachetime: 15, cache_platformprefix: false, MetaDesc: "", MetaAuthor: true,
        MetaVersion: false, robots: "", sef: true, sef_rewrite: true, sef_suffix: false, unicodeslugs: false, feed_limit: 10,
        feed_email: "none", log_path: "/srv/static/logs", tmp_path: "/srv/static/tmp", lifetime: 15, session_handler: "filesystem",
        shared_session: false, session_metadata: true, session_filesystem_path: "/srv/static/sessions",
    };
    return `<?php\nclass JConfig\n{\n${Object.entries(values).map(([k, v]) => `    public $${k} = ${JSON.stringify(v).replace(/"/g, "'")};`).join("\n")}\n}\n`;
};

export function writeBenchPages(release: string): void {
    const dir = path.join(release, "bench");
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(dir, "resolved.php"), page(
        "require dirname(__DIR__) . '/defines.php';\nrequire_once JPATH_CONFIGURATION . '/configuration.php';",
    ));
    fs.writeFileSync(path.join(dir, "static.php"), page(
        "define('JPATH_BASE', dirname(__DIR__));\nrequire_once JPATH_BASE . '/includes/defines.php';\nrequire_once __DIR__ . '/static-configuration.php';",
    ));
    fs.writeFileSync(path.join(dir, "static-configuration.php"), staticConfig());
}
