/**
 * Benchmark 1 — cost of tenant resolution per request, through real Caddy + PHP-FPM (opcache on,
 * as shipped in runtime/php-fpm): our root defines.php + configuration.php + three `new JConfig`
 * against a classic static configuration.php, with 10, 1,000 and 10,000 tenants registered. Each
 * page measures itself (hrtime from its first line to the third JConfig), so FPM and HTTP overhead
 * stay out of the ratio. Not a test: `npx tsx bench/resolve/run.ts`, numbers in docs/bench-data-plane.md.
 */
import { phpBin } from "../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { startDataPlane, type DataPlane } from "../../test/harness/data-plane";
import { writeBenchPages } from "./pages";

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const PER_ROUND = Number(process.env.PER_ROUND ?? 300);
const COUNTS = (process.env.COUNTS ?? "10,1000,10000").split(",").map(Number);

export function seedTenants(root: string, count: number): void {
    const r = spawnSync(phpBin(), [path.join(__dirname, "seed.php"), String(count)], { encoding: "utf8", env: { ...process.env, MOKOWAAS_ROOT: root } });
    if (r.status !== 0) throw new Error(`seed failed: ${r.stderr}`);
}

/** A plane without a database: the platform config only names MySQL, nothing connects to it. */
export async function benchPlane(): Promise<{ dir: string; plane: DataPlane }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-"));
    const plane = await startDataPlane(dir, { host: "127.0.0.1", port: 3306, socket: "", adminUser: "bench", adminPassword: "bench", dir });
    writeBenchPages(plane.release);
    return { dir, plane };
}

/** Nanoseconds the page took; throws unless it answered 200 without PHP building $_SERVER (see pages.ts). */
function timedGet(plane: DataPlane, agent: https.Agent, host: string, urlPath: string, hostHeader = host): Promise<number> {
    return new Promise((resolve, reject) => {
        https.get({ host: "127.0.0.1", port: plane.caddy.httpsPort, path: urlPath, servername: host, headers: { Host: hostHeader }, ca: plane.caddy.ca, agent }, (res) => {
            res.resume();
            res.on("end", () => {
                const ns = Number(res.headers["x-bench-ns"]);
                if (res.statusCode !== 200 || !Number.isFinite(ns)) reject(new Error(`${host}${urlPath}: ${res.statusCode}`));
                else if (res.headers["x-bench-server"] !== "0") reject(new Error(`${host}${urlPath}: PHP built $_SERVER, the two sides are not comparable`));
                else resolve(ns);
            });
        }).on("error", reject);
    });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Kinds: resolved (Host in normal form, as browsers send it: the per-host file), mapped (the same
 * page with "<host>:443", not in normal form: Host::resolve against the host map, then the entry,
 * shown for reference) and static.
 */
async function measure(plane: DataPlane, hosts: string[]): Promise<{ resolved: number; mapped: number; static: number }> {
    const agents = new Map(hosts.map((h) => [h, new https.Agent({ keepAlive: true, maxSockets: 1 })]));
    const samples = { resolved: [] as number[], mapped: [] as number[], static: [] as number[] };
    // Warm opcache for every file involved, then alternate the two pages round by round.
    for (let i = 0; i < 50; i++) for (const h of hosts) await timedGet(plane, agents.get(h)!, h, "/bench/resolved.php");
    for (let i = 0; i < 50; i++) for (const h of hosts) await timedGet(plane, agents.get(h)!, h, "/bench/resolved.php", `${h}:443`);
    for (let i = 0; i < 100; i++) await timedGet(plane, agents.get(hosts[0])!, hosts[0], "/bench/static.php");
    for (let round = 0; round < ROUNDS; round++) {
        for (const kind of ["resolved", "mapped", "static"] as const) {
            for (let i = 0; i < PER_ROUND; i++) {
                const h = hosts[i % hosts.length];
                const page = kind === "static" ? "static" : "resolved";
                samples[kind].push(await timedGet(plane, agents.get(h)!, h, `/bench/${page}.php`, kind === "mapped" ? `${h}:443` : h));
            }
        }
    }
    for (const a of agents.values()) a.destroy();
    return { resolved: median(samples.resolved), mapped: median(samples.mapped), static: median(samples.static) };
}

async function main() {
    const { dir, plane } = await benchPlane();
    try {
        const rows: { tenants: number; resolvedUs: number; mappedUs: number; staticUs: number }[] = [];
        for (const n of COUNTS) {
            seedTenants(plane.root, n);
            await new Promise((r) => setTimeout(r, 3_000)); // opcache does not cache files younger than 2 s
            const hosts = Array.from({ length: 10 }, (_, i) => `dev.b${String(Math.floor((i * n) / 10)).padStart(5, "0")}.example.com`);
            const m = await measure(plane, hosts);
            rows.push({ tenants: n, resolvedUs: m.resolved / 1000, mappedUs: m.mapped / 1000, staticUs: m.static / 1000 });
            console.log(`tenants=${n} resolved=${(m.resolved / 1000).toFixed(1)}us mapped=${(m.mapped / 1000).toFixed(1)}us static=${(m.static / 1000).toFixed(1)}us ratio=${(m.resolved / m.static).toFixed(2)}`);
        }
        console.log("\n| tenants | resolved (median µs) | static (median µs) | resolved / static | Host with :443, via host map (median µs) | that / static |");
        console.log("|---:|---:|---:|---:|---:|---:|");
        for (const r of rows) {
            console.log(`| ${r.tenants} | ${r.resolvedUs.toFixed(1)} | ${r.staticUs.toFixed(1)} | ${(r.resolvedUs / r.staticUs).toFixed(2)} | ${r.mappedUs.toFixed(1)} | ${(r.mappedUs / r.staticUs).toFixed(2)} |`);
        }
        const first = rows[0];
        const last = rows[rows.length - 1];
        console.log(`\nresolved at ${last.tenants} tenants / at ${first.tenants}: ${(last.resolvedUs / first.resolvedUs).toFixed(2)}`);
    } finally {
        await plane.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
