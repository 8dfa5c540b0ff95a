/**
 * Benchmark (not a test): what a Unix user and PHP-FPM pool per tenant cost, on real Joomla 6.0.4,
 * real Caddy, PHP-FPM 8.4 and MySQL 9.7 (the runtime tier's harness). In one run:
 *
 *  1. memory, pools idle: FPM processes and their RSS/PSS with 1 tenant, then with TENANTS (200);
 *     every tenant pool is `pm = ondemand`, so the idle count of workers per tenant should be 0;
 *  2. opcache: memory used and scripts cached after serving 1 tenant, then every tenant, from one
 *     release in one master (target <= 1.1x); for the record, 5 classic Joomla copies vs 1 in a
 *     master of their own (what one copy per site costs);
 *  3. first request to an idle tenant (ondemand spawns its worker) vs the next one (warm), server
 *     time only (curl's time to first byte minus its time to the request being sent);
 *  4. req/s of acme's home page through its own pool vs the single shared pool the platform
 *     shipped before (one dynamic pool, no open_basedir, opcache without permission checks, a
 *     master of its own), alternating round by round through the same Caddy (its host link swapped).
 *
 * Run as root: `npx tsx bench/isolation/run.ts` (TENANTS=200 ROUNDS=5 SECONDS=10 COLD=20).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startPhpFpm } from "../../devenv/php-fpm";
import { addJoomlaTenant, startDataPlane } from "../../test/harness/data-plane";
import { installClassicSite, startClassicCaddy } from "../lib/classic-site";
import { type FpmProcess, fpmProcesses, startSinglePool } from "../lib/fpm";
import { benchMain } from "../lib/main";
import { compare, wrk, writeHostsFile } from "../lib/wrk";

const TENANTS = Number(process.env.TENANTS ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = Number(process.env.SECONDS ?? 10);
const COLD = Math.min(Number(process.env.COLD ?? 20), TENANTS - 1);
const COPIES = 5;
/** ondemand's pm.process_idle_timeout (10 s, runtime/php-fpm/tenant-pool.conf) and a margin. */
const IDLE_MS = 13_000;
const STATUS_SCRIPT = "mokowaas-bench-opcache.php";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => (kb / 1024).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Fetched { status: number; body: string; pretransfer: number; firstByte: number }

function fetch(host: string, port: number, urlPath = "/"): Fetched {
    const r = spawnSync("curl", ["-sk", "--resolve", `${host}:${port}:127.0.0.1`, "-w", "\n%{http_code} %{time_pretransfer} %{time_starttransfer}", `https://${host}:${port}${urlPath}`], { encoding: "utf8" });
    const at = r.stdout.lastIndexOf("\n");
    const [status, pre, first] = r.stdout.slice(at + 1).split(" ").map(Number);
    return { status, body: r.stdout.slice(0, at), pretransfer: pre, firstByte: first };
}

/** A page that must be the site's real Joomla home page. */
function home(host: string, port: number, siteName: string): Fetched {
    const r = fetch(host, port);
    if (r.status !== 200 || !r.body.includes(siteName) || !r.body.includes("Joomla!")) throw new Error(`${host}: not its Joomla home page (${r.status}): ${r.body.slice(0, 300)}`);
    return r;
}

function opcache(host: string, port: number): { usedMb: number; internedMb: number; scripts: number } {
    const r = fetch(host, port, `/${STATUS_SCRIPT}`);
    if (r.status !== 200) throw new Error(`opcache status on ${host}: ${r.status} ${r.body.slice(0, 300)}`);
    const s = JSON.parse(r.body) as { used: number; interned: number; scripts: number };
    return { usedMb: s.used / 2 ** 20, internedMb: s.interned / 2 ** 20, scripts: s.scripts };
}

function writeStatusScript(folder: string): void {
    fs.writeFileSync(path.join(folder, STATUS_SCRIPT), `<?php
header('Content-Type: application/json');
$s = opcache_get_status(false);
echo json_encode(['used' => $s['memory_usage']['used_memory'], 'interned' => $s['interned_strings_usage']['used_memory'], 'scripts' => $s['opcache_statistics']['num_cached_scripts']]);
`, { mode: 0o644 });
}

function memory(label: string, procs: FpmProcess[]): { masterRssKb: number; totalPssKb: number; tenantWorkers: number } {
    const master = procs.find((p) => p.pool === "master")!;
    const tenantWorkers = procs.filter((p) => p.pool.startsWith("mokowaas-")).length;
    const platformWorkers = procs.filter((p) => p.pool === "mokowaas").length;
    const totalPssKb = procs.reduce((a, p) => a + p.pssKb, 0);
    console.log(`${label}: master RSS ${mb(master.rssKb)} MB (PSS ${mb(master.pssKb)} MB); workers: platform pool ${platformWorkers}, tenant pools ${tenantWorkers}; all FPM processes PSS ${mb(totalPssKb)} MB`);
    return { masterRssKb: master.rssKb, totalPssKb, tenantWorkers };
}

benchMain("isolation", async (dir, db, defer) => {
    // The API lock (opcache.restrict_api) is lifted so the status script may read the cache.
    const plane = await startDataPlane(dir, db, { joomla: "6.0.4", fpmIni: { "opcache.restrict_api": "" } });
    defer(() => plane.stop());
    writeStatusScript(plane.release);
    const port = plane.caddy.httpsPort;
    const dev = (t: string) => `dev.${t}.example.com`;
    await addJoomlaTenant(plane.root, db, "acme", { siteName: "Acme Widgets" });
    for (let i = 0; i < 3; i++) home(dev("acme"), port, "Acme Widgets");
    const opc1 = opcache(dev("acme"), port);
    await sleep(IDLE_MS);
    const mem1 = memory("1 tenant, idle", fpmProcesses(plane.fpm.pidFile));

    const names = Array.from({ length: TENANTS - 1 }, (_, i) => `t${String(i + 1).padStart(3, "0")}`);
    const putTimes: number[] = [];
    const started = Date.now();
    for (const t of names) {
        const t0 = Date.now();
        await addJoomlaTenant(plane.root, db, t, { siteName: `Site ${t}` });
        putTimes.push(Date.now() - t0);
    }
    console.log(`${TENANTS - 1} tenants added in ${((Date.now() - started) / 1000).toFixed(0)} s (database, registry put with its pool and an FPM reload, seed): first ${putTimes[0]} ms, last ${putTimes[putTimes.length - 1]} ms`);
    await sleep(IDLE_MS);
    const memN = memory(`${TENANTS} tenants, idle`, fpmProcesses(plane.fpm.pidFile));

    for (const t of names) home(dev(t), port, `Site ${t}`);
    home(dev("acme"), port, "Acme Widgets");
    const opcN = opcache(dev("acme"), port);

    // Cold (the pool has no worker) vs warm (the worker the cold request spawned).
    await sleep(IDLE_MS);
    const cold: number[] = [];
    const warm: number[] = [];
    for (const t of names.slice(0, COLD)) {
        const c = home(dev(t), port, `Site ${t}`);
        const w = home(dev(t), port, `Site ${t}`);
        cold.push((c.firstByte - c.pretransfer) * 1000);
        warm.push((w.firstByte - w.pretransfer) * 1000);
    }

    // req/s: acme's own pool vs the single pool of before, through the same Caddy.
    const acmePool = fs.readFileSync(path.join(plane.root, "etc/mokowaas/fpm/acme.conf"), "utf8");
    const acmeUser = /^user = (\S+)$/m.exec(acmePool)![1];
    const single = await startSinglePool(path.join(dir, "single"), plane.root, acmeUser, "acme");
    defer(() => single.stop());
    const link = path.join(plane.root, "var/lib/mokowaas/fpm-hosts", `${dev("acme")}.sock`);
    const own = fs.readlinkSync(link);
    const route = (target: string) => {
        fs.rmSync(`${link}.new`, { force: true });
        fs.symlinkSync(target, `${link}.new`);
        fs.renameSync(`${link}.new`, link);
    };
    const hostsFile = writeHostsFile(path.join(dir, "hosts"), [dev("acme")]);
    const pools: number[] = [];
    const shared: number[] = [];
    route(single.socket);
    home(dev("acme"), port, "Acme Widgets");
    wrk(dev("acme"), port, hostsFile, SECONDS);
    route(own);
    wrk(dev("acme"), port, hostsFile, SECONDS);
    for (let i = 0; i < ROUNDS; i++) {
        route(own);
        pools.push(wrk(dev("acme"), port, hostsFile, SECONDS));
        route(single.socket);
        shared.push(wrk(dev("acme"), port, hostsFile, SECONDS));
        console.log(`round ${i + 1}: own pool ${pools[i].toFixed(1)} req/s, single pool ${shared[i].toFixed(1)} req/s, ratio ${(pools[i] / shared[i]).toFixed(3)}`);
    }
    route(own);
    const rps = compare(pools, shared);

    // 5 classic copies in a master of their own: opcache after serving 1 of them, then all 5.
    const classicDir = path.join(dir, "classic");
    fs.mkdirSync(classicDir);
    const copies: string[] = [];
    for (let i = 1; i <= COPIES; i++) copies.push(await installClassicSite(classicDir, db, `copy${i}`, `Copy ${i}`));
    for (const c of copies) writeStatusScript(c);
    // The shipped opcache settings and a pool of the platform pool's shape, reaching the copies only.
    const classicFpm = await startPhpFpm({ dir: path.join(classicDir, "fpm"), root: path.join(classicDir, "no-platform"), ini: { "opcache.restrict_api": "" },
        overrides: { "php_admin_value[open_basedir]": classicDir } });
    defer(() => classicFpm.stop());
    const copyHost = (i: number) => `copy${i}.example.com`;
    const caddy = await startClassicCaddy(path.join(classicDir, "caddy"), copies.map((root, i) => ({ host: copyHost(i + 1), root })), classicFpm.address);
    defer(() => caddy.stop());
    for (let k = 0; k < 3; k++) home(copyHost(1), caddy.httpsPort, "Copy 1");
    const copies1 = opcache(copyHost(1), caddy.httpsPort);
    for (let i = 2; i <= COPIES; i++) for (let k = 0; k < 3; k++) home(copyHost(i), caddy.httpsPort, `Copy ${i}`);
    const copiesN = opcache(copyHost(1), caddy.httpsPort);

    console.log("\n== results ==");
    console.log(`idle memory: master RSS ${mb(mem1.masterRssKb)} -> ${mb(memN.masterRssKb)} MB (${(memN.masterRssKb / mem1.masterRssKb).toFixed(2)}x), all FPM PSS ${mb(mem1.totalPssKb)} -> ${mb(memN.totalPssKb)} MB; idle tenant workers ${mem1.tenantWorkers} -> ${memN.tenantWorkers} (per tenant ${(memN.tenantWorkers / TENANTS).toFixed(2)})`);
    console.log(`opcache, one release: 1 tenant ${opc1.usedMb.toFixed(1)} MB (${opc1.scripts} scripts, interned ${opc1.internedMb.toFixed(1)} MB) -> ${TENANTS} tenants ${opcN.usedMb.toFixed(1)} MB (${opcN.scripts} scripts, interned ${opcN.internedMb.toFixed(1)} MB): ${(opcN.usedMb / opc1.usedMb).toFixed(3)}x`);
    console.log(`opcache, separate copies: 1 copy ${copies1.usedMb.toFixed(1)} MB (${copies1.scripts} scripts) -> ${COPIES} copies ${copiesN.usedMb.toFixed(1)} MB (${copiesN.scripts} scripts): ${(copiesN.usedMb / copies1.usedMb).toFixed(2)}x`);
    console.log(`first request to an idle tenant: median ${median(cold).toFixed(1)} ms server time vs warm ${median(warm).toFixed(1)} ms (${COLD} tenants; +${(median(cold) - median(warm)).toFixed(1)} ms)`);
    console.log(`req/s own pool ${rps.meanA.toFixed(1)} vs single pool ${rps.meanB.toFixed(1)}: ratio of sums ${rps.ratioOfSums.toFixed(3)}, median round ratio ${rps.medianRatio.toFixed(3)}`);
});
