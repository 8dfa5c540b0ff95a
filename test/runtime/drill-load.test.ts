/**
 * Drill "load, no cross-talk" (docs/reliability.md): 50 tenants on real Joomla 6.0.4, through
 * real Caddy, PHP-FPM (a pool per tenant) and MySQL. 2,000 GETs over their dev and (online)
 * production hosts, in random order at concurrency 32, each on a keep-alive connection of its own
 * host (SNI = Host): every answer is 200 and names its own tenant's site, none another's. Then the
 * same load while a bounded loop re-puts random tenants' unchanged entries (a `pulumi up` re-run)
 * and reloads Caddy (a server's `systemctl reload caddy`): still 0 failed requests.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { adminConnection } from "../../devenv/mysql";
import { mokowaasAsync } from "../../devenv/server-cli";
import { addJoomlaTenant, startDataPlane, type DataPlane, type TenantEntry } from "../harness/data-plane";

const TENANTS = 50;
const REQUESTS = 2000;
const CONCURRENCY = 32;
/**
 * Whole request, connect to last byte: a stuck request is a failure, not a hung run. Generous: on
 * 2 shared cores under other suites' load (load average 27) a page took up to 24 s in the queue.
 */
const REQUEST_TIMEOUT_MS = 90_000;
/** The churn loop: a pause between iterations, and its bounds in count and time. */
const CHURN_PAUSE_MS = 300;
const CHURN_MAX_ITERATIONS = 300;
const CHURN_MAX_MS = 150_000;

/** Every drill site name matches this, so any tenant's name in a page is found with one scan. */
const SITE_NAME = /Drill Site \d{2} [0-9a-f]{6}/g;

interface Outcome { host: string; status: number; ms: number; retried: boolean; failure?: string }

let dir: string;
let plane: DataPlane;
const tenants: TenantEntry[] = [];
/** host -> its tenant's site name */
const siteOf = new Map<string, string>();
const agents = new Map<string, https.Agent>();

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-drill-load-"));
    const db = inject("mysql");
    const t0 = Date.now();
    plane = await startDataPlane(dir, db, { joomla: "6.0.4", caddyAdmin: true });
    const t1 = Date.now();
    // Two at a time: one's `registry put` (its pool, an FPM reload) overlaps the other's seed,
    // which waits for the blueprint's standby copy to be made again anyway.
    const numbers = Array.from({ length: TENANTS }, (_, i) => String(i + 1).padStart(2, "0"));
    let next = 0;
    await Promise.all([0, 1].map(async () => {
        while (next < numbers.length) {
            const n = numbers[next++];
            // A random part: a page can only show this name if it came from this run's tenant.
            const siteName = `Drill Site ${n} ${crypto.randomBytes(3).toString("hex")}`;
            // The real path of a new tenant: database, `registry put` (its pool, an FPM reload), seed.
            const { entry } = await addJoomlaTenant(plane.root, db, `drill${n}`, { siteName, online: true });
            tenants.push(entry);
            for (const h of [entry.hosts.dev, entry.hosts.production]) siteOf.set(h, siteName);
        }
    }));
    const t2 = Date.now();
    // Each host's certificate, issued before the load: Caddy 2.6 refuses some of many concurrent
    // FIRST issuances for different new hosts (docs/reliability.md), which is not what this drill
    // measures. One handshake at a time issues them all.
    for (const host of siteOf.keys()) await handshake(host);
    // No tenant's page has been asked for yet, and each already has Joomla's namespace map: the
    // seed wrote it (TenantJoomlaCli::writeNamespaceMap), so the load's concurrent first requests
    // never read one half written (docs/reliability.md). The load below is every site's first.
    for (const t of tenants) {
        const map = path.join(plane.root, "srv/mokowaas/tenants", t.tenant, "cache/autoload_psr4.php");
        expect(fs.readFileSync(map, "utf8"), map).toMatch(/^<\?php[\s\S]*'Joomla\\\\Component\\\\Content\\\\Site\\\\' => \[JPATH_SITE/);
    }
    console.log(`drill-load: data plane with real Joomla ${((t1 - t0) / 1000).toFixed(1)} s, ${TENANTS} tenants added in `
        + `${((t2 - t1) / 1000).toFixed(1)} s, ${siteOf.size} certificates issued in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
    for (const a of agents.values()) a.destroy();
    await plane?.stop();
    // The shared MySQL serves the whole run: give back what these tenants took.
    const c = await adminConnection(inject("mysql"));
    try {
        for (const t of tenants) {
            await c.query(`DROP DATABASE IF EXISTS \`${t.db.name}\``);
            for (const h of ["127.0.0.1", "localhost"]) await c.query(`DROP USER IF EXISTS '${t.db.user}'@'${h}'`);
        }
    } finally {
        await c.end();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 600_000);

/**
 * A TLS handshake for `host` (its certificate is issued on demand by the first one). Caddy's local
 * CA (tests only) can stamp a certificate it just issued as valid from a moment later (seen once:
 * "certificate is not yet valid" on the handshake that issued it); that one handshake is tried
 * again a second later. Public CAs backdate (Let's Encrypt by an hour).
 */
async function handshake(host: string): Promise<void> {
    try {
        await handshakeOnce(host);
    } catch (e) {
        if (!/not yet valid/.test((e as Error).message)) throw e;
        await new Promise((r) => setTimeout(r, 1_000));
        await handshakeOnce(host);
    }
}

function handshakeOnce(host: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: plane.caddy.httpsPort, servername: host, ca: plane.caddy.ca }, () => {
            socket.end();
            resolve();
        });
        socket.on("error", (e) => reject(new Error(`TLS handshake for ${host}: ${e.message}`)));
        socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error("timeout")));
    });
}

/** One keep-alive agent per host: a connection is only ever reused for the host its SNI named. */
function agentFor(host: string): https.Agent {
    let a = agents.get(host);
    if (!a) {
        a = new https.Agent({ keepAlive: true, ca: plane.caddy.ca, servername: host });
        agents.set(host, a);
    }
    return a;
}

interface Answer { status: number; body: string; error?: string; reused: boolean; stage: string }

/** One GET / on `host` over its keep-alive agent; a connection failure or timeout is status 0. */
function getOnce(host: string): Promise<Answer> {
    return new Promise((resolve) => {
        let done = false;
        // How far it got, for a failure's message: connecting, sent, answering.
        let stage = "connecting";
        const req = https.request({
            host: "127.0.0.1", port: plane.caddy.httpsPort, path: "/", method: "GET",
            servername: host, headers: { Host: host }, agent: agentFor(host),
        }, (res) => {
            stage = "answering";
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", (e) => finish({ status: 0, body: "", error: `response: ${e.message}`, reused: req.reusedSocket, stage }));
            res.on("end", () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), reused: req.reusedSocket, stage }));
        });
        const finish = (a: Answer) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            resolve(a);
        };
        const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
        req.on("error", (e: NodeJS.ErrnoException) => finish({ status: 0, body: "", error: `${e.code ?? "error"}: ${e.message}`, reused: req.reusedSocket, stage }));
        req.on("finish", () => (stage = "sent"));
        req.end();
    });
}

/**
 * GET / on `host`: 200 with its own site name and no other is a success; anything else says why
 * not. A request that fails on a reused keep-alive connection the server closed meanwhile (Caddy
 * closes idle connections when it reloads) is sent again once on a new connection, as browsers
 * and curl do (RFC 9112 9.3.1: nothing was answered, and a GET is idempotent); it is counted.
 */
async function fetchHome(host: string): Promise<Outcome> {
    const started = performance.now();
    let a = await getOnce(host);
    let retried = false;
    if (a.status === 0 && a.reused && /^(ECONNRESET|EPIPE)\b/.test(a.error ?? "")) {
        retried = true;
        a = await getOnce(host);
    }
    const outcome = { host, status: a.status, ms: performance.now() - started, retried };
    if (a.status === 0) {
        return { ...outcome, failure: `no answer at ${new Date().toISOString()} (${a.reused ? "reused" : "new"} connection, ${a.stage}): ${a.error}` };
    }
    if (a.status !== 200) return { ...outcome, failure: `status ${a.status} at ${new Date().toISOString()}: ${a.body.slice(0, 200)}` };
    const own = siteOf.get(host)!;
    const foreign = [...new Set(a.body.match(SITE_NAME) ?? [])].filter((n) => n !== own);
    if (foreign.length > 0) return { ...outcome, failure: `CROSS-TALK: shows ${foreign.join(", ")}` };
    if (!a.body.includes(own)) return { ...outcome, failure: `200 without its site name: ${a.body.slice(0, 200)}` };
    return outcome;
}

/** REQUESTS GETs, each host equally often, shuffled, CONCURRENCY at a time. */
async function load(): Promise<{ outcomes: Outcome[]; seconds: number }> {
    const hosts = [...siteOf.keys()];
    const order = Array.from({ length: REQUESTS }, (_, i) => hosts[i % hosts.length]);
    for (let i = order.length - 1; i > 0; i--) {
        const j = crypto.randomInt(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
    }
    const outcomes: Outcome[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < order.length) outcomes.push(await fetchHome(order[next++]));
    }));
    return { outcomes, seconds: (performance.now() - t0) / 1000 };
}

/** The kernel setting that keeps connections queued on Caddy's old listener alive across a reload (devenv/caddy.ts). */
function migrateReq(): string {
    try {
        return fs.readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim();
    } catch {
        return "absent";
    }
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One line with the figures docs/reliability.md reports; the failures (at most 10) below it. */
function report(phase: string, r: { outcomes: Outcome[]; seconds: number }, extra = ""): Outcome[] {
    const statuses = new Map<number, number>();
    for (const o of r.outcomes) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    const ms = r.outcomes.map((o) => o.ms).sort((a, b) => a - b);
    const failed = r.outcomes.filter((o) => o.failure);
    const crossTalk = failed.filter((o) => o.failure!.startsWith("CROSS-TALK")).length;
    const fivexx = r.outcomes.filter((o) => o.status >= 500).length;
    const retried = r.outcomes.filter((o) => o.retried).length;
    console.log(`drill-load ${phase}: ${r.outcomes.length} requests over ${siteOf.size} hosts in ${r.seconds.toFixed(1)} s `
        + `(${(r.outcomes.length / r.seconds).toFixed(1)} req/s, concurrency ${CONCURRENCY}); statuses `
        + [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? "no answer" : s}: ${n}`).join(", ")
        + `; failed ${failed.length} (other tenant's name ${crossTalk}, 5xx ${fivexx}); sent again on a new connection ${retried}; latency p50 ${percentile(ms, 50).toFixed(0)} ms, `
        + `p95 ${percentile(ms, 95).toFixed(0)} ms, max ${ms[ms.length - 1].toFixed(0)} ms${extra}`);
    for (const o of failed.slice(0, 10)) console.log(`  ${o.host}: ${o.failure}`);
    if (failed.length > 0) {
        // What the servers said, before the run's folder goes.
        const lines = (text: string, keep: RegExp, drop: RegExp) => text.split("\n").filter((l) => keep.test(l) && !drop.test(l)).slice(-15);
        console.log(["PHP-FPM:", ...lines(fs.readFileSync(plane.fpm.errorLog, "utf8"), /WARNING|ERROR/, /max_children/),
            "Caddy:", ...lines(plane.caddy.log(), /"level":"(error|warn)"/, /Alt-Svc|only on the HTTP port/)].join("\n  "));
    }
    return failed;
}

describe("drill: load, no cross-talk", () => {
    test(`${REQUESTS} requests over ${TENANTS} tenants' dev and production hosts at concurrency ${CONCURRENCY}: each answer is its own tenant's page`, async () => {
        const failed = report("phase 1 (steady)", await load());
        expect(failed.map((o) => `${o.host}: ${o.failure}`)).toEqual([]);
    }, 300_000);

    test("the same load while `registry put` (unchanged entries) and Caddy reloads run in a loop: 0 failed requests", async () => {
        let loadDone = false;
        const churn = { iterations: 0, puts: 0, reloads: 0, errors: [] as string[] };
        const loop = (async () => {
            const until = Date.now() + CHURN_MAX_MS;
            while (!loadDone && churn.iterations < CHURN_MAX_ITERATIONS && Date.now() < until) {
                churn.iterations++;
                const t = tenants[crypto.randomInt(tenants.length)];
                const put = await mokowaasAsync(plane.root, ["registry", "put", t.tenant], JSON.stringify(t));
                if (put.status === 0) churn.puts++;
                else churn.errors.push(`registry put ${t.tenant} exited ${put.status}: ${put.stderr}${put.stdout}`);
                await plane.caddy.reload().then(() => churn.reloads++, (e: Error) => churn.errors.push(e.message));
                await new Promise((res) => setTimeout(res, CHURN_PAUSE_MS));
            }
        })();
        let r: Awaited<ReturnType<typeof load>>;
        try {
            r = await load();
        } finally {
            loadDone = true;
            await loop;
        }
        const failed = report("phase 2 (registry put + Caddy reload loop)", r,
            `; loop: ${churn.iterations} iterations, ${churn.puts} registry puts, ${churn.reloads} Caddy reloads, ${churn.errors.length} errors`
            + ` (net.ipv4.tcp_migrate_req ${migrateReq()})`);
        expect(churn.errors).toEqual([]);
        // A loop that barely ran would prove nothing.
        expect(churn.reloads).toBeGreaterThanOrEqual(5);
        expect(failed.map((o) => `${o.host}: ${o.failure}`)).toEqual([]);
    }, 300_000);
});
