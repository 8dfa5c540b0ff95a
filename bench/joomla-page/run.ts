/**
 * Benchmark (not a test): requests/s of a tenant's real Joomla 6.0.4 home page through the platform
 * (Caddy with runtime/caddy/Caddyfile, the shipped PHP-FPM pool, the tenant bootstrap, a tenant
 * seeded from the blueprint) vs the same Joomla installed as a classic single site (its own
 * folder, installed by Joomla's CLI installer, a configuration.php of its own), served by the same
 * Caddy binary with the same TLS, compression and headers, and by the SAME PHP-FPM pool and opcache.
 * Both sites keep sessions in files (the platform's choice; the classic site's configuration.php is
 * changed to match, so only the platform's own work differs). wrk (keep-alive, HTTPS, 16
 * connections) alternates the two sides round by round; the one pool (`pm = static`, 8 workers,
 * test/harness) serves both. Run as root: `npx tsx bench/joomla-page/run.ts`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adminConnection, startMySql } from "../../devenv/mysql";
import { launch } from "../../devenv/process";
import { freePort, waitForPort } from "../../devenv/ports";
import { phpBin } from "../../devenv/toolchain";
import { addJoomlaTenant, startDataPlane } from "../../test/harness/data-plane";
import { pristineJoomla } from "../../test/harness/joomla-package";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const SECONDS = Number(process.env.SECONDS ?? 10);
const TENANT_HOST = "dev.acme.example.com";
const CLASSIC_HOST = "classic.example.com";

/** wrk in a private mount namespace whose /etc/hosts maps the host to 127.0.0.1 (SNI = URL host). */
function wrk(host: string, port: number, hostsFile: string): number {
    const cmd = `mount --bind ${hostsFile} /etc/hosts && exec wrk -t2 -c16 -d${SECONDS}s -H 'Host: ${host}' https://${host}:${port}/`;
    const r = spawnSync("unshare", ["-m", "sh", "-c", cmd], { encoding: "utf8" });
    const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
    const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout);
    if (!m || errors) throw new Error(`wrk on ${host} failed (needs root for unshare -m): ${r.stdout}${r.stderr}`);
    return Number(m[1]);
}

async function main() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-page-"));
    const mysql = await startMySql(path.join(dir, "mysql"));
    const { stop: stopDb, ...db } = mysql;
    const stops: (() => Promise<void>)[] = [stopDb];
    try {
        const plane = await startDataPlane(dir, db, { joomla: "6.0.4" });
        stops.unshift(() => plane.stop());
        await addJoomlaTenant(plane.root, db, "acme", { siteName: "Acme Widgets" });

        // The classic single site: the same package, installed by Joomla's own installer.
        // A real copy (not hard links): the classic site owns and writes its files like any site.
        const classic = path.join(dir, "classic");
        if (spawnSync("cp", ["-a", pristineJoomla("6.0.4"), classic]).status !== 0) throw new Error("copying Joomla failed");
        const c = await adminConnection(db);
        await c.query("CREATE DATABASE classic CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        await c.end();
        const install = spawnSync(phpBin(), [path.join(classic, "installation/joomla.php"), "install", "-n", "--site-name=Acme Widgets",
            "--admin-user=Admin", "--admin-username=admin", "--admin-password=Classic-admin-pw-1", "--admin-email=admin@example.com",
            "--db-type=mysqli", `--db-host=${db.host}:${db.port}`, `--db-user=${db.adminUser}`, `--db-pass=${db.adminPassword}`,
            "--db-name=classic", "--db-prefix=jos_", "--db-encryption=0"], { cwd: classic, encoding: "utf8" });
        if (install.status !== 0) throw new Error(`installer: ${install.stdout}${install.stderr}`);
        const sessions = path.join(dir, "classic-sessions");
        fs.mkdirSync(sessions, { mode: 0o700 });
        spawnSync("chown", ["-R", "www-data:www-data", path.join(classic, "tmp"), path.join(classic, "administrator/logs"), path.join(classic, "administrator/cache"), path.join(classic, "cache"), sessions]);
        const config = path.join(classic, "configuration.php");
        // The installer writes no session_filesystem_path: add it beside the handler.
        fs.writeFileSync(config, fs.readFileSync(config, "utf8")
            .replace(/public \$session_handler = '[^']*';/, `public $session_handler = 'filesystem';\n\tpublic $session_filesystem_path = '${sessions}';`));

        // The same Caddy (binary, TLS, encode, headers) in front of the same PHP-FPM pool.
        const caddyDir = path.join(dir, "caddy-classic");
        fs.mkdirSync(caddyDir, { recursive: true });
        const [httpPort, httpsPort] = [await freePort(), await freePort()];
        const caddyfile = path.join(caddyDir, "Caddyfile");
        fs.writeFileSync(caddyfile, `{
\thttp_port ${httpPort}
\thttps_port ${httpsPort}
\tadmin off
\tlocal_certs
\tskip_install_trust
}
https://${CLASSIC_HOST} {
\troot * ${classic}
\tencode zstd gzip
\theader {
\t\tStrict-Transport-Security "max-age=31536000"
\t\tX-Content-Type-Options nosniff
\t\tReferrer-Policy strict-origin-when-cross-origin
\t\tX-Frame-Options SAMEORIGIN
\t\t-X-Powered-By
\t\t-Server
\t}
\tphp_fastcgi ${plane.fpm.address}
\tfile_server
}
`);
        const proc = launch("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"], {
            logFile: path.join(caddyDir, "caddy.log"),
            env: { PATH: process.env.PATH, HOME: caddyDir, XDG_DATA_HOME: path.join(caddyDir, "data"), XDG_CONFIG_HOME: path.join(caddyDir, "config") },
        });
        stops.unshift(() => proc.stop("SIGTERM", 10_000));
        await waitForPort(httpsPort, "127.0.0.1", 20_000);

        const hostsFile = path.join(dir, "hosts");
        fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.1 ${TENANT_HOST}\n127.0.0.1 ${CLASSIC_HOST}\n`);
        // Both pages must be Joomla's home page with the site's name, not an error page.
        for (const [host, port] of [[TENANT_HOST, plane.caddy.httpsPort], [CLASSIC_HOST, httpsPort]] as const) {
            const r = spawnSync("curl", ["-sk", "--resolve", `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`], { encoding: "utf8" });
            if (!r.stdout.includes("Acme Widgets") || !r.stdout.includes("Joomla!")) {
                const log = fs.existsSync(plane.fpm.errorLog) ? fs.readFileSync(plane.fpm.errorLog, "utf8").slice(-1500) : "";
                throw new Error(`${host} does not serve the Joomla home page: ${/<title>[^<]*/.exec(r.stdout)?.[0] ?? r.stdout.slice(0, 300)}\nPHP-FPM log: ${log}`);
            }
        }
        wrk(TENANT_HOST, plane.caddy.httpsPort, hostsFile);
        wrk(CLASSIC_HOST, httpsPort, hostsFile);
        const tenant: number[] = [];
        const single: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
            tenant.push(wrk(TENANT_HOST, plane.caddy.httpsPort, hostsFile));
            single.push(wrk(CLASSIC_HOST, httpsPort, hostsFile));
            console.log(`round ${i + 1}: platform tenant ${tenant[i].toFixed(1)} req/s, classic single site ${single[i].toFixed(1)} req/s, ratio ${(tenant[i] / single[i]).toFixed(3)}`);
        }
        const ratios = tenant.map((t, i) => t / single[i]).sort((a, b) => a - b);
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        console.log(`\nplatform ${(sum(tenant) / ROUNDS).toFixed(1)} req/s, classic ${(sum(single) / ROUNDS).toFixed(1)} req/s; ratio of sums ${(sum(tenant) / sum(single)).toFixed(3)}, median round ratio ${ratios[Math.floor(ROUNDS / 2)].toFixed(3)}`);
    } finally {
        for (const stop of stops) await stop().catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
