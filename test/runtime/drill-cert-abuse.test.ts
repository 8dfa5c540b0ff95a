/**
 * Drill (issue 14, "certificate abuse"), through the shipped Caddyfile, real Caddy and PHP-FPM:
 * 10,000 asks for unknown and random names are all refused and leave nothing behind, TLS
 * handshakes for random names get no certificate and start no order; and the platform's own
 * certificate cap (CertificateCap) with a small configured rate: new hosts beyond it wait ("not
 * yet", 429), are logged once and listed by health, and get through once the window has room,
 * while hosts let through before are never held back. The timing is not asserted here (a shared,
 * noisy machine): bench/ask/run.ts measures it, figures in docs/reliability.md.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { serverLayout } from "../../components/rules";
import { check, mokowaas } from "../../devenv/server-cli";
import { createTenantDb, platformInit, putEntry, setState, startDataPlane, tenantHosts, tlsHandshake, type DataPlane } from "../harness/data-plane";

const ABUSE_ASKS = 10_000;
const CONCURRENCY = 16;
/** The small cap of this drill: 4 new hosts per 3 hours, 2 per registered domain per week. */
const PER_3H = 4;
const PER_DOMAIN_WEEK = 2;

let dir: string;
let plane: DataPlane;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-cert-"));
    const db = inject("mysql");
    plane = await startDataPlane(dir, db);
    // Served before the cap exists: its hosts count as let through long ago.
    check(putEntry(plane.root, await createTenantDb(db, "alpha", { online: true })), "put alpha");
    setState(plane.root, "alpha", "ready");
    platformInit(plane.root, db, plane.fpmDir, ["--cert-new-per-3h", String(PER_3H), "--cert-new-per-domain-week", String(PER_DOMAIN_WEEK)]);
    // beta: three hosts of example.com; gamma: three hosts of two other registered domains.
    check(putEntry(plane.root, await createTenantDb(db, "beta", { online: true })), "put beta");
    check(putEntry(plane.root, await createTenantDb(db, "gamma", {
        online: true, hosts: { dev: "dev.gamma.example.org", production: "gamma.example.net", aliases: ["www.gamma.example.net"] },
    })), "put gamma");
    for (const t of ["beta", "gamma"]) setState(plane.root, t, "ready");
}, 240_000);
afterAll(async () => {
    agent.destroy();
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

function ask(domain: string): Promise<{ status: number; body: string; ms: number }> {
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        http.get({ host: "127.0.0.1", port: plane.caddy.askPort, path: `/ask?domain=${encodeURIComponent(domain)}`, agent }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        }).on("error", reject);
    });
}

const handshake = (sni: string) => tlsHandshake(plane.caddy, sni);
const handshakeFails = (sni: string) => handshake(sni).then(() => false, () => true);

/** Names Caddy started a certificate order for, from its log. */
function ordered(): Set<string> {
    const names = new Set<string>();
    for (const line of plane.caddy.log().split("\n")) {
        if (/obtain/i.test(line)) for (const m of line.matchAll(/"(?:identifier|domain)":"([^"]+)"/g)) names.add(m[1]);
    }
    return names;
}

const stateFile = () => path.join(serverLayout(plane.root).certificateState, "state.json");
const readState = () => JSON.parse(fs.readFileSync(stateFile(), "utf8")) as { granted: Record<string, number>; waiting: Record<string, any> };
/** As if `seconds` had passed: every first let-through moves back (written in place: the file stays the pool user's). */
function age(seconds: number): void {
    const s = readState();
    for (const h of Object.keys(s.granted)) s.granted[h] -= seconds;
    fs.writeFileSync(stateFile(), JSON.stringify(s));
}

function randomName(i: number): string {
    const r = crypto.randomBytes(6).toString("hex");
    const kinds = [
        `${r}.example.com`, `dev.${r}.example.com`, `${r}.${r}.test`, `alpha.example.com.${r}.net`, `${r}-${i}.example.org`,
        `www.${r}.co.uk`, `${"x".repeat(64)}.example.com`, `${r}..example.com`, `${r}.123`, `xn--${r}.com`,
    ];
    return kinds[i % kinds.length];
}

describe("10,000 asks for unknown or random names", () => {
    test("all refused, nothing recorded, and TLS handshakes for random names order nothing", async () => {
        const before = fs.readFileSync(stateFile(), "utf8");
        const statuses = new Map<number, number>();
        const times: number[] = [];
        let next = 0;
        const t0 = Date.now();
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
            while (next < ABUSE_ASKS) {
                const r = await ask(randomName(next++));
                statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
                times.push(r.ms);
            }
        }));
        const wall = Date.now() - t0;
        expect(Object.fromEntries(statuses)).toEqual({ 404: ABUSE_ASKS });
        // Unknown names never reach the cap: its state is untouched.
        expect(fs.readFileSync(stateFile(), "utf8")).toBe(before);
        times.sort((a, b) => a - b);
        console.log(`drill-cert-abuse: ${ABUSE_ASKS} asks at concurrency ${CONCURRENCY} in ${wall} ms; median ${times[times.length >> 1].toFixed(2)} ms, p99 ${times[Math.floor(times.length * 0.99)].toFixed(2)} ms`);

        const names = Array.from({ length: 50 }, (_, i) => randomName(i * 7 + 1));
        for (const n of names) expect(await handshakeFails(n), n).toBe(true);
        const orders = ordered();
        for (const n of names) expect(orders.has(n), n).toBe(false);
    }, 600_000);
});

describe("the certificate cap", () => {
    const fpmLog = () => fs.readFileSync(plane.fpm.errorLog, "utf8");

    test("hosts served before the cap are let through without counting", async () => {
        for (const h of Object.values(tenantHosts("alpha")).flat()) expect((await ask(h)).status, h).toBe(200);
        expect(Object.values(readState().granted).filter((t) => t > 0)).toEqual([]);
    });

    test("new hosts beyond the per-domain and the 3-hour cap wait (429 not yet), once logged, listed by health", async () => {
        // example.com: two new hosts a week.
        expect((await ask("dev.beta.example.com")).status).toBe(200);
        expect((await ask("beta.example.com")).status).toBe(200);
        const domainWait = await ask("www.beta.example.com");
        expect(domainWait).toMatchObject({ status: 429, body: `not yet: ${PER_DOMAIN_WEEK} new hosts of example.com in the last 7 days (cap ${PER_DOMAIN_WEEK})` });
        // Two more of other domains fill the 3-hour cap of four.
        expect((await ask("dev.gamma.example.org")).status).toBe(200);
        expect((await ask("gamma.example.net")).status).toBe(200);
        const hourWait = await ask("www.gamma.example.net");
        expect(hourWait).toMatchObject({ status: 429, body: `not yet: ${PER_3H} new hosts in the last 3 hours (cap ${PER_3H})` });
        // Asked again (Caddy does, on later handshakes): still waiting, logged once.
        for (let i = 0; i < 3; i++) expect((await ask("www.gamma.example.net")).status).toBe(429);
        expect(await handshakeFails("www.gamma.example.net")).toBe(true);
        expect(ordered().has("www.gamma.example.net")).toBe(false);
        expect(fpmLog().match(/mokowaas ask: www\.gamma\.example\.net waits for a certificate/g)).toHaveLength(1);
        expect(fpmLog()).toContain("mokowaas ask: www.beta.example.com waits for a certificate: 2 new hosts of example.com in the last 7 days");
        // Hosts let through before are never held back, even now.
        for (const h of ["dev.beta.example.com", "dev.alpha.example.com"]) expect((await ask(h)).status, h).toBe(200);

        const r = mokowaas(plane.root, ["health", "--json", "--no-hooks"]);
        const certs = JSON.parse(r.stdout).platform.certificates;
        expect(certs.ok).toBe(true); // waiting is reported, not a failure
        expect(certs.newLast3Hours).toBe(PER_3H);
        expect(Object.keys(certs.waiting).sort()).toEqual(["www.beta.example.com", "www.gamma.example.net"]);
        expect(certs.waiting["www.gamma.example.net"].asks).toBeGreaterThanOrEqual(5); // 1 + 3 + the handshake's
        expect(certs.detail).toContain("waiting for a certificate: www.beta.example.com, www.gamma.example.net");
    });

    test("a waiting host gets through once the window has room, and Caddy then issues on its next handshake", async () => {
        age(3 * 3600 + 60); // three hours later: the 3-hour window is empty, example.com's week is not
        expect((await ask("www.gamma.example.net")).status).toBe(200);
        expect((await ask("www.beta.example.com")).status).toBe(429);
        expect(await handshake("www.gamma.example.net")).toContain("DNS:www.gamma.example.net");
        // The log check the abuse test relies on sees an order when there is one.
        expect(ordered().has("www.gamma.example.net")).toBe(true);
        age(7 * 86400); // a week later
        expect((await ask("www.beta.example.com")).status).toBe(200);
        expect(await handshake("www.beta.example.com")).toContain("DNS:www.beta.example.com");
        expect(readState().waiting).toEqual({});
    }, 120_000);

    test("platform init refuses a cap above Let's Encrypt's limits and contradicting options, changing nothing", () => {
        const before = fs.readFileSync(serverLayout(plane.root).certificateCap, "utf8");
        for (const [args, msg] of [
            [["--cert-new-per-3h", "301"], "--cert-new-per-3h must be a whole number from 1 to 300 (Let's Encrypt's own limit), got \"301\""],
            [["--cert-new-per-domain-week", "51"], "--cert-new-per-domain-week must be a whole number from 1 to 50"],
            [["--cert-new-per-3h", "0"], "--cert-new-per-3h must be a whole number from 1 to 300"],
            [["--no-cert-cap", "--cert-new-per-3h", "5"], "--cert-new-per-3h and --no-cert-cap contradict each other"],
        ] as const) {
            const r = mokowaas(plane.root, ["platform", "init", "--mysql-host", "127.0.0.1", "--mysql-port", "3306", "--mysql-user", "x", "--php-user", "www-data", ...args], "pw");
            expect(r.status, args.join(" ")).toBe(3);
            expect(r.stderr).toContain(msg);
        }
        expect(fs.readFileSync(serverLayout(plane.root).certificateCap, "utf8")).toBe(before);
    });
});
