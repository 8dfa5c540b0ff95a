/**
 * A classic single Joomla site for the benchmarks' comparisons: a real copy of the Full Package
 * (its own folder, its own files), installed by Joomla's CLI installer into its own database, with
 * file sessions (the platform's choice, so only the platform's own work differs), and the Caddy
 * site block that serves it with the same TLS, compression and headers as runtime/caddy/Caddyfile.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { adminConnection, type MySqlInfo } from "../../devenv/mysql";
import { freePort, waitForPort } from "../../devenv/ports";
import { launch } from "../../devenv/process";
import { phpBin } from "../../devenv/toolchain";
import { pristineJoomla } from "../../test/harness/joomla-package";

/** Installs Joomla `version` into `<dir>/<name>` (database `<name>`); its writable folders belong to `user`. */
export async function installClassicSite(dir: string, db: MySqlInfo, name: string, siteName: string, version = "6.0.4", user = "www-data"): Promise<string> {
    const site = path.join(dir, name);
    if (spawnSync("cp", ["-a", pristineJoomla(version), site]).status !== 0) throw new Error("copying Joomla failed");
    const c = await adminConnection(db);
    await c.query(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await c.end();
    const install = spawnSync(phpBin(), [path.join(site, "installation/joomla.php"), "install", "-n", `--site-name=${siteName}`,
        "--admin-user=Admin", "--admin-username=admin", "--admin-password=Classic-admin-pw-1", "--admin-email=admin@example.com",
        "--db-type=mysqli", `--db-host=${db.host}:${db.port}`, `--db-user=${db.adminUser}`, `--db-pass=${db.adminPassword}`,
        `--db-name=${name}`, "--db-prefix=jos_", "--db-encryption=0"], { cwd: site, encoding: "utf8" });
    if (install.status !== 0) throw new Error(`installer: ${install.stdout}${install.stderr}`);
    const sessions = path.join(dir, `${name}-sessions`);
    fs.mkdirSync(sessions, { mode: 0o700 });
    spawnSync("chown", ["-R", `${user}:${user}`, path.join(site, "tmp"), path.join(site, "administrator/logs"), path.join(site, "administrator/cache"), path.join(site, "cache"), sessions]);
    const config = path.join(site, "configuration.php");
    // The installer writes no session_filesystem_path: add it beside the handler.
    fs.writeFileSync(config, fs.readFileSync(config, "utf8")
        .replace(/public \$session_handler = '[^']*';/, `public $session_handler = 'filesystem';\n\tpublic $session_filesystem_path = '${sessions}';`));
    return site;
}

/** A Caddy site block serving `root` on `host` through the FastCGI address `fpm` (host:port or unix/<path>). */
function classicSiteBlock(host: string, root: string, fpm: string): string {
    return `https://${host} {
\troot * ${root}
\tencode zstd gzip
\theader {
\t\tStrict-Transport-Security "max-age=31536000"
\t\tX-Content-Type-Options nosniff
\t\tReferrer-Policy strict-origin-when-cross-origin
\t\tX-Frame-Options SAMEORIGIN
\t\t-X-Powered-By
\t\t-Server
\t}
\tphp_fastcgi ${fpm}
\tfile_server
}
`;
}

/** The global options of a private Caddy (local CA, no admin endpoint). */
function caddyGlobals(httpPort: number, httpsPort: number): string {
    return `{\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n}\n`;
}

/** A private Caddy serving classic sites (host -> folder) through the FastCGI address `fpm`. */
export async function startClassicCaddy(dir: string, sites: { host: string; root: string }[], fpm: string): Promise<{ httpsPort: number; stop(): Promise<void> }> {
    fs.mkdirSync(dir, { recursive: true });
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const caddyfile = path.join(dir, "Caddyfile");
    fs.writeFileSync(caddyfile, caddyGlobals(httpPort, httpsPort) + sites.map((s) => classicSiteBlock(s.host, s.root, fpm)).join(""));
    const proc = launch("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"], {
        logFile: path.join(dir, "caddy.log"),
        env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: path.join(dir, "data"), XDG_CONFIG_HOME: path.join(dir, "config") },
    });
    await waitForPort(httpsPort, "127.0.0.1", 20_000);
    return { httpsPort, stop: () => proc.stop("SIGTERM", 10_000) };
}
