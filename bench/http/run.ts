/**
 * Benchmark 2 — requests/s through Caddy and PHP-FPM (wrk, HTTPS, keep-alive): the same small page
 * booted with our tenant resolution (bench/resolve/pages.ts resolved.php, Host of one of 1,000
 * registered tenants) against a static single-site configuration.php (static.php). Rounds
 * alternate the two so both see the same machine noise. Not a test:
 * `npx tsx bench/http/run.ts`, numbers in docs/bench-data-plane.md.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { benchPlane, seedTenants } from "../resolve/run";

const TENANTS = Number(process.env.TENANTS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 10);
const HOST = "dev.b00000.example.com";

/**
 * wrk sends the URL's host as SNI and resolves it itself: it runs in a private mount namespace
 * whose /etc/hosts maps the tenant host to 127.0.0.1 (nothing on the machine changes). The Host
 * header is set without the test port, as browsers send it for https on 443: a Host with a port
 * is not in normal form and takes the bootstrap's slower path (host map and entry) instead of the
 * per-host file (measured: ~50 µs more PHP CPU per request).
 */
function wrk(port: number, urlPath: string, hostsFile: string): number {
    const cmd = `mount --bind ${hostsFile} /etc/hosts && exec wrk -t2 -c16 -d${SECONDS}s -H 'Host: ${HOST}' https://${HOST}:${port}${urlPath}`;
    const r = spawnSync("unshare", ["-m", "sh", "-c", cmd], { encoding: "utf8" });
    if (process.env.DEBUG) console.log(r.stdout, r.stderr);
    const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
    const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout);
    if (!m || errors) throw new Error(`wrk failed (needs root for unshare -m): ${r.stdout}${r.stderr}`);
    return Number(m[1]);
}

async function main() {
    const { dir, plane } = await benchPlane();
    const hostsFile = path.join(dir, "hosts");
    fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.1 ${HOST}\n`);
    try {
        seedTenants(plane.root, TENANTS);
        await new Promise((r) => setTimeout(r, 3_000));
        wrk(plane.caddy.httpsPort, "/bench/resolved.php", hostsFile);
        wrk(plane.caddy.httpsPort, "/bench/static.php", hostsFile);
        const resolved: number[] = [];
        const stat: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
            resolved.push(wrk(plane.caddy.httpsPort, "/bench/resolved.php", hostsFile));
            stat.push(wrk(plane.caddy.httpsPort, "/bench/static.php", hostsFile));
            console.log(`round ${i + 1}: resolved ${resolved[i].toFixed(0)} req/s, static ${stat[i].toFixed(0)} req/s, ratio ${(resolved[i] / stat[i]).toFixed(3)}`);
        }
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        console.log(`\ntenants=${TENANTS} resolved=${(sum(resolved) / ROUNDS).toFixed(0)} req/s static=${(sum(stat) / ROUNDS).toFixed(0)} req/s ratio=${(sum(resolved) / sum(stat)).toFixed(3)}`);
    } finally {
        await plane.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
