/**
 * `mokowaas health` against real services: tenant databases with their own accounts, the tenant
 * folders, a local web server that sees each tenant host in the Host header, Borg archive ages,
 * and hook URLs (a local HTTP listener) pinged on success and on failure.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminConnection } from "../../devenv/mysql";
import { joomlaRelease } from "../harness/joomla-package";
import { TestPlatform, type TenantInfo } from "./lifecycle-harness";

interface Hit {
    url: string;
    body: string;
}

function listen(handler: http.RequestListener): Promise<http.Server> {
    return new Promise((resolve) => {
        const s = http.createServer(handler);
        s.listen(0, "127.0.0.1", () => resolve(s));
    });
}

describe("health", () => {
    let p: TestPlatform;
    let web: http.Server;
    let hooks: http.Server;
    const hostsSeen: string[] = [];
    const hookHits: Hit[] = [];
    const broken = new Set<string>();
    let alpha: TenantInfo;

    beforeAll(async () => {
        // Stands in for Caddy + PHP: answers by Host like the bootstrap does (offline production -> 503 coming soon).
        web = await listen((req, res) => {
            const host = String(req.headers.host).replace(/:\d+$/, "");
            hostsSeen.push(host);
            if (broken.has(host)) return void res.writeHead(500).end("PHP error");
            if (host === "beta.example.test") return void res.writeHead(503, { "Retry-After": "3600" }).end("coming soon");
            res.writeHead(200).end("site");
        });
        hooks = await listen((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                hookHits.push({ url: String(req.url), body });
                res.writeHead(200).end("ok");
            });
        });
        const hookBase = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
        p = new TestPlatform(inject("mysql"), [
            "--web-url", `http://127.0.0.1:${(web.address() as AddressInfo).port}`,
            "--hook-success", `${hookBase}/success`, "--hook-failure", `${hookBase}/failure`,
        ]);
        const release = joomlaRelease("6.0.4", path.join(p.root, "release"));
        expect(p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb]).status).toBe(0);
        alpha = await p.addTenant("alpha", { online: true });
        const beta = await p.addTenant("beta", { online: false });
        for (const t of [alpha, beta]) expect(p.seed(t).status).toBe(0);
        await p.addTenant("delta"); // provisioning: not seeded yet
        expect(p.cli(["backup", "--all"]).status).toBe(0);
    });
    afterAll(async () => {
        web?.close();
        hooks?.close();
        await p?.cleanup();
    });

    it("reports every tenant healthy, asks the web server for each host by name, writes Prometheus metrics and pings the success hook", async () => {
        const prom = path.join(p.root, "metrics/mokowaas.prom");
        // Async: the web server and hook listener live in this process and must keep answering.
        const r = await p.cliAsync(["health", "--json", "--prometheus", prom]);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out.ok).toBe(true);
        const byName = Object.fromEntries(out.tenants.map((t: any) => [t.tenant, t]));
        expect(Object.keys(byName[alpha.name].checks)).toEqual(["db", "folders", "dev", "production", "backup"]);
        expect(byName.beta.checks.production.detail).toBe("offline: 503 coming soon");
        expect(byName.alpha.checks.backup.ageSeconds).toBeLessThan(600);
        expect(byName.delta).toMatchObject({ state: "provisioning", ok: true });
        expect(Object.keys(byName.delta.checks)).toEqual(["db", "folders"]);
        expect(new Set(hostsSeen)).toEqual(new Set(["dev.alpha.example.test", "alpha.example.test", "dev.beta.example.test", "beta.example.test"]));
        expect(hookHits.map((h) => h.url)).toEqual(["/success"]);
        expect(JSON.parse(hookHits[0].body)).toMatchObject({ ok: true, tenants: 3 });
        const metrics = fs.readFileSync(prom, "utf8");
        expect(metrics).toContain('mokowaas_health_ok{tenant="alpha"} 1');
        expect(metrics).toContain('mokowaas_check_ok{tenant="beta",check="production"} 1');
        expect(metrics).toMatch(/mokowaas_backup_age_seconds\{tenant="alpha"\} \d+/);
    });

    it("fails on a database the tenant's own account cannot reach, a host answering 500, a missing archive, and pings the failure hook", async () => {
        hookHits.length = 0;
        const c = await adminConnection(p.db);
        for (const h of ["127.0.0.1", "localhost"]) await c.query(`ALTER USER '${alpha.user}'@'${h}' IDENTIFIED BY 'rotated-elsewhere'`);
        await c.end();
        broken.add("dev.beta.example.test");
        const gamma = await p.addTenant("gamma", { online: true });
        expect(p.seed(gamma).status).toBe(0);
        const r = await p.cliAsync(["health", "--json"]);
        expect(r.status).toBe(1);
        const out = JSON.parse(r.stdout);
        const failing = Object.fromEntries(out.tenants.filter((t: any) => !t.ok).map((t: any) =>
            [t.tenant, Object.keys(t.checks).filter((k) => !t.checks[k].ok)]));
        expect(failing).toEqual({ alpha: ["db"], beta: ["dev"], gamma: ["backup"] });
        expect(out.tenants.find((t: any) => t.tenant === "beta").checks.dev.detail).toBe("HTTP 500");
        expect(out.tenants.find((t: any) => t.tenant === "gamma").checks.backup.detail).toBe("no archive yet");
        expect(r.stdout + r.stderr).not.toContain(alpha.password);
        expect(hookHits.map((h) => h.url)).toEqual(["/failure"]);
        expect(JSON.parse(hookHits[0].body).failing).toEqual({ alpha: ["db"], beta: ["dev"], gamma: ["backup"] });

        const text = await p.cliAsync(["health", "--no-hooks"]);
        expect(text.status).toBe(1);
        expect(text.stdout).toMatch(/beta\s+ready\s+FAILING: dev \(HTTP 500\)/);
    });
});
