/**
 * The TLS ask endpoint under abuse (issue 14, "certificate abuse"): how fast Caddy's on-demand TLS
 * gets its "no" for names that are not ours, through the shipped Caddyfile, Caddy and the platform
 * PHP-FPM pool, with 1,000 tenants in the host map and the certificate cap on. 10,000 asks for
 * random names one at a time (latency), 10,000 at concurrency 16 (throughput), and asks for hosts
 * of the host map (the cap's state file: the rare path, taken when Caddy holds no
 * certificate for a known host yet). Not a test (test/runtime/drill-cert-abuse.test.ts checks the
 * answers): `npx tsx bench/ask/run.ts`, figures in docs/reliability.md.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { check, mokowaas, php } from "../../devenv/server-cli";
import { platformInit } from "../../test/harness/data-plane";
import { benchPlane } from "../resolve/run";

const TENANTS = Number(process.env.TENANTS ?? 1000);
const ASKS = Number(process.env.ASKS ?? 10_000);
const CONCURRENCY = 16;

function ask(agent: http.Agent, port: number, domain: string): Promise<{ status: number; ms: number; body: string }> {
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        http.get({ host: "127.0.0.1", port, path: `/ask?domain=${encodeURIComponent(domain)}`, agent }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, body }));
        }).on("error", reject);
    });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const randomName = () => `${crypto.randomBytes(6).toString("hex")}.example.com`;

/** `count` asks, `concurrency` at a time; every answer must be `expect`. */
async function run(agent: http.Agent, port: number, names: () => string, count: number, concurrency: number, expect: number) {
    const times: number[] = [];
    let next = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next++ < count) {
            const name = names();
            const r = await ask(agent, port, name);
            if (r.status !== expect) throw new Error(`${name}: answered ${r.status} ${r.body.trim()}, expected ${expect}`);
            times.push(r.ms);
        }
    }));
    const seconds = (Date.now() - t0) / 1000;
    times.sort((a, b) => a - b);
    return { count, concurrency, median: pct(times, 0.5), p90: pct(times, 0.9), p99: pct(times, 0.99), perSecond: Math.round(count / seconds) };
}

async function main() {
    const { dir, plane } = await benchPlane();
    try {
        // Only the host map matters to the ask: written directly (no entries, pools or Unix users),
        // into the registry's folders as `registry rebuild` lays them out (the pool's user must reach it).
        check(mokowaas(plane.root, ["registry", "rebuild"]), "registry rebuild");
        check(php(plane.root, `$m = MokoWaaS\\HostMap::empty();
            for ($i = 0; $i < ${TENANTS}; $i++) { $t = sprintf('b%05d', $i);
                $m = $m->withTenant(['tenant' => $t, 'state' => 'ready', 'online' => true, 'siteName' => $t,
                    'hosts' => ['dev' => "dev.$t.example.com", 'production' => "$t.example.com", 'aliases' => ["www.$t.example.com"]]]); }
            MokoWaaS\\AtomicFile::writePhpConstant((new MokoWaaS\\Paths())->hostMap(), $m->toArray(), 0644);`), "host map");
        // The cap on, every seeded host let through before (as on a server that had them when the cap came).
        platformInit(plane.root, { host: "127.0.0.1", port: 3306, socket: "", adminUser: "bench", adminPassword: "bench", dir }, plane.fpmDir,
            ["--cert-new-per-3h", "300", "--cert-new-per-domain-week", "50"]);
        const port = plane.caddy.askPort;
        const one = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const many = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
        await run(one, port, randomName, 200, 1, 404); // warm-up: opcache, FPM workers
        const rows = [
            { what: "unknown names, one at a time", ...(await run(one, port, randomName, ASKS, 1, 404)) },
            { what: `unknown names, ${CONCURRENCY} at a time`, ...(await run(many, port, randomName, ASKS, CONCURRENCY, 404)) },
            { what: "hosts of the host map (the cap's state file read), one at a time", ...(await run(one, port,
                () => `dev.b${String(Math.floor(Math.random() * TENANTS)).padStart(5, "0")}.example.com`, 1000, 1, 200)) },
        ];
        one.destroy();
        many.destroy();
        console.log(`load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
        console.log("| asks | count | median ms | p90 ms | p99 ms | per s |\n|---|---|---|---|---|---|");
        for (const r of rows) console.log(`| ${r.what} | ${r.count} | ${r.median.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.perSecond} |`);
    } finally {
        await plane.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
