/**
 * Benchmark (not a test): requests/s of a tenant's real Joomla 6.0.4 home page through the platform
 * (Caddy with runtime/caddy/Caddyfile, the tenant's own PHP-FPM pool, the tenant bootstrap, a
 * tenant seeded from the blueprint) vs the same Joomla installed as a classic single site (its own
 * folder, installed by Joomla's CLI installer, a configuration.php of its own), served by the same
 * Caddy binary with the same TLS, compression and headers, from the SAME PHP-FPM master and opcache
 * through a pool of the same shape as the tenant's (its pool file with the classic site's user,
 * folders and socket). Both sites keep sessions in files (the platform's choice; the classic site's
 * configuration.php is changed to match), so only the platform's own work differs. wrk (keep-alive,
 * HTTPS, 16 connections) alternates the two sides round by round.
 * Run as root: `npx tsx bench/joomla-page/run.ts`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { addJoomlaTenant, startDataPlane } from "../../test/harness/data-plane";
import { installClassicSite, startClassicCaddy } from "../lib/classic-site";
import { reloadFpm } from "../lib/fpm";
import { benchMain } from "../lib/main";
import { compare, wrk, writeHostsFile } from "../lib/wrk";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const SECONDS = Number(process.env.SECONDS ?? 10);
const TENANT_HOST = "dev.acme.example.com";
const CLASSIC_HOST = "classic.example.com";

benchMain("page", async (dir, db, defer) => {
    const plane = await startDataPlane(dir, db, { joomla: "6.0.4" });
    defer(() => plane.stop());
    await addJoomlaTenant(plane.root, db, "acme", { siteName: "Acme Widgets" });

    // The classic single site: the same package, installed by Joomla's own installer, in a
    // pool of its own beside the tenant's: acme's pool file with the site's user and folders.
    const classic = await installClassicSite(dir, db, "classic", "Acme Widgets");
    const socket = path.join(dir, "classic.sock");
    const tenantPool = fs.readFileSync(path.join(plane.root, "etc/mokowaas/fpm/acme.conf"), "utf8");
    const tenantDir = path.join(plane.root, "srv/mokowaas/tenants/acme");
    const pool = tenantPool
        .replace(/^\[mokowaas-acme\]$/m, "[bench-classic]")
        .replace(/^(user|group|listen\.owner) = .*$/gm, "$1 = www-data")
        .replace(/^listen = .*$/m, `listen = ${socket}`)
        .replace(/^env\[MOKOWAAS_TENANT\].*\n/m, "")
        .replace(/^env\[MOKOWAAS_OPEN_BASEDIR\] = .*$/m, `env[MOKOWAAS_OPEN_BASEDIR] = ${dir}/`)
        .replace(/^php_admin_value\[session\.save_path\] = .*$/m, `php_admin_value[session.save_path] = ${dir}/classic-sessions`)
        .split(tenantDir).join(classic);
    fs.writeFileSync(path.join(plane.root, "etc/mokowaas/fpm/zz-bench-classic.conf"), pool, { mode: 0o600 });
    await reloadFpm(plane.fpm.pidFile, socket);
    const caddy = await startClassicCaddy(path.join(dir, "caddy-classic"), [{ host: CLASSIC_HOST, root: classic }], `unix/${socket}`);
    defer(() => caddy.stop());
    const httpsPort = caddy.httpsPort;

    const hostsFile = writeHostsFile(path.join(dir, "hosts"), [TENANT_HOST, CLASSIC_HOST]);
    // Both pages must be Joomla's home page with the site's name, not an error page.
    for (const [host, port] of [[TENANT_HOST, plane.caddy.httpsPort], [CLASSIC_HOST, httpsPort]] as const) {
        const r = spawnSync("curl", ["-sk", "--resolve", `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`], { encoding: "utf8" });
        if (!r.stdout.includes("Acme Widgets") || !r.stdout.includes("Joomla!")) {
            const log = fs.existsSync(plane.fpm.errorLog) ? fs.readFileSync(plane.fpm.errorLog, "utf8").slice(-1500) : "";
            throw new Error(`${host} does not serve the Joomla home page: ${/<title>[^<]*/.exec(r.stdout)?.[0] ?? r.stdout.slice(0, 300)}\nPHP-FPM log: ${log}`);
        }
    }
    wrk(TENANT_HOST, plane.caddy.httpsPort, hostsFile, SECONDS);
    wrk(CLASSIC_HOST, httpsPort, hostsFile, SECONDS);
    const tenant: number[] = [];
    const single: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        tenant.push(wrk(TENANT_HOST, plane.caddy.httpsPort, hostsFile, SECONDS));
        single.push(wrk(CLASSIC_HOST, httpsPort, hostsFile, SECONDS));
        console.log(`round ${i + 1}: platform tenant ${tenant[i].toFixed(1)} req/s, classic single site ${single[i].toFixed(1)} req/s, ratio ${(tenant[i] / single[i]).toFixed(3)}`);
    }
    const r = compare(tenant, single);
    console.log(`\nplatform ${r.meanA.toFixed(1)} req/s, classic ${r.meanB.toFixed(1)} req/s; ratio of sums ${r.ratioOfSums.toFixed(3)}, median round ratio ${r.medianRatio.toFixed(3)}`);
});
