/**
 * Benchmark (not a test): where a tenant pool's extra CPU per request goes. One tenant (real
 * Joomla 6.0.4); several masters, each with ONE static worker of the single shared pool shipped
 * before tenant pools (bench/lib/fpm.ts), each with one of the tenant pool's settings added:
 * open_basedir as the tenant pool sets it (the prepended file), opcache's validate_permission and
 * validate_root, pm = ondemand with 5 workers (the control). Caddy's link for the host is pointed
 * at each in turn; the worker's CPU time (/proc/<pid>/schedstat, ns) over N sequential requests
 * gives ms per request; rounds interleave the variants; medians are compared.
 * Run as root: `npx tsx bench/isolation/cpu.ts` (ROUNDS=12 N=30).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { addJoomlaTenant, startDataPlane } from "../../test/harness/data-plane";
import { fpmProcesses, startSinglePool } from "../lib/fpm";
import { benchMain } from "../lib/main";

const ROUNDS = Number(process.env.ROUNDS ?? 12);
const N = Number(process.env.N ?? 30);

benchMain("cpu", async (dir, db, defer) => {
    const plane = await startDataPlane(dir, db, { joomla: "6.0.4" });
    defer(() => plane.stop());
    await addJoomlaTenant(plane.root, db, "acme", { siteName: "Acme Widgets" });
    const host = "dev.acme.example.com";
    const pool = fs.readFileSync(path.join(plane.root, "etc/mokowaas/fpm/acme.conf"), "utf8");
    const line = (key: string) => new RegExp(`^${key.replace(/[[\]]/g, "\\$&")} = .*$`, "m").exec(pool)![0];
    const user = /^user = (\S+)$/m.exec(pool)![1];
    const variants: Record<string, { pool?: string[]; ini?: Record<string, string> }> = {
        "single pool": {},
        "+ open_basedir": { pool: [line("env[MOKOWAAS_OPEN_BASEDIR]"), line("php_admin_value[auto_prepend_file]")] },
        "+ opcache permission checks": { ini: { "opcache.validate_permission": "1", "opcache.validate_root": "1" } },
        "+ ondemand, 5 workers (control)": { pool: ["pm = ondemand", "pm.max_children = 5", "pm.process_idle_timeout = 10s"] },
    };
    const masters: Record<string, { socket: string; pidFile: string }> = {};
    let k = 0;
    for (const [name, extra] of Object.entries(variants)) {
        const m = await startSinglePool(path.join(dir, `master-${k++}`), plane.root, user, "acme", { pool: ["pm = static", "pm.max_children = 1", ...(extra.pool ?? [])], ini: extra.ini });
        defer(() => m.stop());
        masters[name] = m;
    }
    const link = path.join(plane.root, "var/lib/mokowaas/fpm-hosts", `${host}.sock`);
    const route = (socket: string) => {
        fs.rmSync(`${link}.new`, { force: true });
        fs.symlinkSync(socket, `${link}.new`);
        fs.renameSync(`${link}.new`, link);
    };
    const get = () => {
        const r = spawnSync("curl", ["-sk", "--resolve", `${host}:${plane.caddy.httpsPort}:127.0.0.1`, `https://${host}:${plane.caddy.httpsPort}/`], { encoding: "utf8" });
        if (!r.stdout.includes("Acme Widgets")) throw new Error(`not the home page: ${r.stdout.slice(0, 300)}`);
    };
    const cpuMs = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
    const results: Record<string, number[]> = Object.fromEntries(Object.keys(masters).map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
        for (const [name, m] of Object.entries(masters)) {
            route(m.socket);
            for (let i = 0; i < 5; i++) get();
            // Every worker of the pool counts (ondemand may spawn another); one spawned meanwhile starts at 0.
            const workers = () => fpmProcesses(m.pidFile).filter((p) => p.pool === "single").map((p) => p.pid);
            const before = new Map(workers().map((pid) => [pid, cpuMs(pid)]));
            for (let i = 0; i < N; i++) get();
            const used = workers().reduce((sum, pid) => sum + cpuMs(pid) - (before.get(pid) ?? 0), 0);
            results[name].push(used / N);
        }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(results["single pool"]);
    for (const [name, xs] of Object.entries(results)) {
        console.log(`${name}: median ${median(xs).toFixed(2)} ms CPU per request (${(median(xs) / base).toFixed(3)}x); rounds ${xs.map((x) => x.toFixed(1)).join(" ")}`);
    }
});
