/**
 * The tenant-aware Joomla bootstrap's contract, in isolation, through real Caddy (local CA,
 * on-demand TLS), PHP-FPM (root master, www-data workers) and MySQL: each request goes host ->
 * tenant -> that tenant's database, proven by the marker row and JConfig values the contract
 * docroot (a fake Joomla, test/harness/contract-docroot.ts) prints. Real Joomla on the same
 * bootstrap: test/runtime/joomla.test.ts.
 */
import { phpBin } from "../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { httpsGet, type Reply } from "../../devenv/caddy";
import { check } from "../../devenv/server-cli";
import { tenantAccountsOf } from "../harness/accounts";
import { createTenantDb, putEntry, setState, startDataPlane, type DataPlane, type TenantEntry } from "../harness/data-plane";

let dir: string;
let plane: DataPlane;
const entries: Record<string, TenantEntry> = {};

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bootstrap-"));
    const db = inject("mysql");
    plane = await startDataPlane(dir, db);
    entries.alpha = await createTenantDb(db, "alpha", { comingSoon: { title: "Alpha <opens> soon", message: "Spring 2027." } });
    entries.beta = await createTenantDb(db, "beta", { online: true });
    entries.gamma = await createTenantDb(db, "gamma");
    for (const t of ["alpha", "beta", "gamma"]) check(putEntry(plane.root, entries[t]), `put ${t}`);
    setState(plane.root, "alpha", "ready");
    setState(plane.root, "beta", "ready");
    // gamma stays provisioning: registered, database not seeded yet.
});
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

const tenantDir = (t: string) => path.join(plane.root, "srv/mokowaas/tenants", t);
const json = (r: Reply) => {
    expect(r.status, r.body.slice(0, 500)).toBe(200);
    return JSON.parse(r.body);
};

/** Registry writes reach PHP through opcache's timestamp check (revalidate_freq): poll briefly. */
async function eventually(host: string, urlPath: string, ok: (r: Reply) => boolean): Promise<Reply> {
    const until = Date.now() + 10_000;
    for (;;) {
        const r = await httpsGet(plane.caddy, host, urlPath);
        if (ok(r) || Date.now() > until) return r;
        await new Promise((res) => setTimeout(res, 250));
    }
}

describe("two tenants side by side", () => {
    test("each dev host reaches its own tenant's database, folders and settings", async () => {
        const a = json(await httpsGet(plane.caddy, "dev.alpha.example.com"));
        const b = json(await httpsGet(plane.caddy, "dev.beta.example.com"));
        expect(a.marker).toBe("marker-of-alpha");
        expect(b.marker).toBe("marker-of-beta");
        expect(a.app).toBe("site");
        expect(a.config).toMatchObject({
            sitename: "Site of alpha", db: "t_alpha", dbprefix: "jx_",
            tmp_path: path.join(tenantDir("alpha"), "tmp"), log_path: path.join(tenantDir("alpha"), "logs"),
            session_handler: "filesystem", session_filesystem_path: path.join(tenantDir("alpha"), "sessions"),
            live_site: "", offline: false,
        });
        expect(a.jpath.cache).toBe(path.join(tenantDir("alpha"), "cache"));
        expect(b.jpath.cache).toBe(path.join(tenantDir("beta"), "cache"));
        // JConfig declares every property and builds the same values each time.
        expect(a.dynamicProperties).toEqual([]);
        expect(a.sameConfig).toBe(true);
    });

    test("the administrator and API entry points resolve the same tenant with their own JPATH_BASE", async () => {
        const release = fs.realpathSync(plane.release);
        const admin = json(await httpsGet(plane.caddy, "dev.alpha.example.com", "/administrator/"));
        expect(admin).toMatchObject({ app: "administrator", marker: "marker-of-alpha" });
        expect(admin.jpath).toMatchObject({ base: path.join(release, "administrator"), root: release, cache: path.join(tenantDir("alpha"), "cache") });
        for (const p of ["/api/index.php/v1/content/articles", "/api/v1/content/articles"]) {
            const api = json(await httpsGet(plane.caddy, "dev.beta.example.com", p));
            expect(api).toMatchObject({ app: "api", marker: "marker-of-beta" });
            expect(api.jpath).toMatchObject({ base: path.join(release, "api"), root: release, cache: path.join(tenantDir("beta"), "cache") });
        }
    });
});

describe("dev and production hosts", () => {
    test("the dev host serves even while production is offline, marked noindex", async () => {
        const r = await httpsGet(plane.caddy, "dev.alpha.example.com");
        expect(json(r).marker).toBe("marker-of-alpha");
        expect(r.headers["x-robots-tag"]).toBe("noindex, nofollow");
        expect(JSON.parse(r.body).config.robots).toBe("noindex, nofollow");
    });

    test("an online production host serves without noindex", async () => {
        const r = await httpsGet(plane.caddy, "beta.example.com");
        expect(json(r).marker).toBe("marker-of-beta");
        expect(r.headers["x-robots-tag"]).toBeUndefined();
        expect(JSON.parse(r.body).config.robots).toBe("");
    });

    test("an offline production host answers 503 with the tenant's coming-soon page before Joomla loads", async () => {
        const r = await httpsGet(plane.caddy, "alpha.example.com", "/some/page");
        expect(r.status).toBe(503);
        expect(r.headers["retry-after"]).toBe("3600");
        expect(r.headers["cache-control"]).toBe("no-store");
        expect(r.body).toContain("<title>Alpha &lt;opens&gt; soon</title>");
        expect(r.body).toContain("Spring 2027.");
        expect(r.body).not.toContain("marker-of");
    });

    test("aliases redirect 301 to the production host, path and query kept", async () => {
        const r = await httpsGet(plane.caddy, "www.beta.example.com", "/blog/post?id=7");
        expect(r.status).toBe(301);
        expect(r.headers.location).toBe("https://beta.example.com/blog/post?id=7");
    });

    test("`registry put` takes production offline and back online", async () => {
        check(putEntry(plane.root, { ...entries.beta, online: false }), "put beta offline");
        const off = await eventually("beta.example.com", "/", (r) => r.status === 503);
        expect(off.status).toBe(503);
        expect(off.body).toContain("<title>Site of beta</title>");
        expect(json(await httpsGet(plane.caddy, "dev.beta.example.com")).marker).toBe("marker-of-beta");

        check(putEntry(plane.root, { ...entries.beta, online: true }), "put beta online");
        const on = await eventually("beta.example.com", "/", (r) => r.status === 200);
        expect(json(on).marker).toBe("marker-of-beta");
    });
});

describe("tenants not ready and unknown hosts", () => {
    test("a provisioning tenant's hosts answer 503 'being set up', never a PHP error", async () => {
        for (const host of ["dev.gamma.example.com", "gamma.example.com", "www.gamma.example.com"]) {
            const r = await httpsGet(plane.caddy, host, "/administrator/");
            expect(r.status, host).toBe(503);
            expect(r.body).toContain("This site is being set up");
            expect(r.headers["retry-after"]).toBeDefined();
            expect(r.headers["cache-control"]).toBe("no-store");
        }
    });

    test("an unknown host behind another host's TLS name is refused (421) without any tenant file being read", async () => {
        // Instrument every file holding a tenant's data (registry entries and per-host files):
        // reading one leaves a trace file behind (in a folder every pool's open_basedir allows).
        const traces = path.join(plane.root, "srv/mokowaas/releases/traces");
        fs.mkdirSync(traces, { mode: 0o777 });
        fs.chmodSync(traces, 0o777);
        const registry = path.join(plane.root, "etc/mokowaas/registry");
        const instrumented: [kind: string, folder: string, after: string][] = [
            ["entry", "tenants", "namespace MokoWaaS\\Data;\n"],
            ["host", "hosts", "; do not edit. Holds secrets.\n"],
        ];
        const originals = new Map<string, Buffer>();
        for (const [kind, folder, after] of instrumented) {
            for (const f of fs.readdirSync(path.join(registry, folder))) {
                const file = path.join(registry, folder, f);
                const original = fs.readFileSync(file);
                originals.set(file, original);
                const body = original.toString("utf8").replace(after, `${after}\\touch(${JSON.stringify(path.join(traces, `${kind}-${f}`))});\n`);
                expect(body, `instrumented ${file}`).toContain("\\touch(");
                fs.writeFileSync(file, body);
                // Bump the timestamp so opcache sees the change.
                const t = new Date(Date.now() + 5_000);
                fs.utimesSync(file, t, t);
            }
        }
        expect([...originals.keys()].some((f) => f.endsWith("/hosts/dev.alpha.example.com.php")), "alpha's dev host has its per-host file").toBe(true);
        try {
            await new Promise((r) => setTimeout(r, 1_500));
            // Behind another host's TLS name, Caddy refuses them (421) before PHP; the PHP side's 404
            // for a host with a certificate but no tenant is in caddy-hosts.test.ts.
            for (const host of ["unknown.example.com", "alpha.example.org", "evil.example.com:443", "dev.alpha.example.com.evil.com"]) {
                const r = await httpsGet(plane.caddy, host, "/", "dev.alpha.example.com");
                expect(r.status, host).toBe(421);
            }
            expect(fs.readdirSync(traces)).toEqual([]);
            // Controls: a known host reads its own tenant's file and only that: through the fast
            // path its per-host file, through the host map (Host with a port) its entry.
            const fast = await httpsGet(plane.caddy, "dev.alpha.example.com");
            expect(fast.status).toBe(200);
            expect(fs.readdirSync(traces)).toEqual(["host-dev.alpha.example.com.php"]);
            const mapped = await httpsGet(plane.caddy, "dev.alpha.example.com:443", "/", "dev.alpha.example.com");
            expect(mapped.status).toBe(200);
            expect(json(mapped).marker).toBe("marker-of-alpha");
            expect(fs.readdirSync(traces).sort()).toEqual(["entry-alpha.php", "host-dev.alpha.example.com.php"]);
        } finally {
            for (const [file, original] of originals) fs.writeFileSync(file, original);
            fs.rmSync(traces, { recursive: true, force: true });
        }
    });
});

describe("CLI", () => {
    // As the tenant's own user (as `mokowaas joomla` runs it): Joomla code never runs as root (see the last test).
    const cli = (env: Record<string, string>, as = `alpha`) => {
        const account = tenantAccountsOf(plane.root).find((n) => n.endsWith(`-${as}`));
        return spawnSync(
            as === "root" ? phpBin() : "setpriv",
            [...(as === "root" ? [] : [`--reuid=${account}`, `--regid=${account}`, "--clear-groups", phpBin()]), path.join(plane.release, "cli/joomla.php")],
            { encoding: "utf8", env: { PATH: process.env.PATH ?? "", MOKOWAAS_ROOT: plane.root, ...env } },
        );
    };

    test("selects its tenant with MOKOWAAS_TENANT and gets live_site", () => {
        const alpha = cli({ MOKOWAAS_TENANT: "alpha" });
        expect(alpha.status, alpha.stderr + alpha.stdout).toBe(0);
        const a = JSON.parse(alpha.stdout);
        expect(a).toMatchObject({ app: "cli", marker: "marker-of-alpha", dynamicProperties: [] });
        // alpha is offline: its public base is the dev host; beta is online: production.
        expect(a.config.live_site).toBe("https://dev.alpha.example.com");
        expect(a.jpath.cache).toBe(path.join(tenantDir("alpha"), "cache"));
        const b = JSON.parse(cli({ MOKOWAAS_TENANT: "beta" }, "beta").stdout);
        expect(b.marker).toBe("marker-of-beta");
        expect(b.config.live_site).toBe("https://beta.example.com");
    });

    test("refuses to run without a tenant, or for an unknown one, with a clear message", () => {
        const none = cli({});
        expect(none.status).toBe(1);
        expect(none.stderr).toContain("MOKOWAAS_TENANT is not set");
        const unknown = cli({ MOKOWAAS_TENANT: "nobody" });
        expect(unknown.status).toBe(1);
        expect(unknown.stderr).toContain("tenant nobody has no registry entry");
        const bad = cli({ MOKOWAAS_TENANT: "../etc" });
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain("is not a tenant name");
        // As another tenant's user: its files are not readable, and it is told how to run it.
        const other = cli({ MOKOWAAS_TENANT: "alpha" }, "beta");
        expect(other.status).toBe(1);
        expect(other.stdout).toBe("");
        expect(other.stderr).toContain("may not read that tenant's files");
    });

    test("refuses to run as root (root could rewrite the shared release), pointing at `mokowaas joomla`", () => {
        const r = cli({ MOKOWAAS_TENANT: "alpha" }, "root");
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("does not run as root on a shared release: use `mokowaas joomla <tenant> -- <command>`");
    });
});

describe("configuration.php", () => {
    test("is root's and not writable by group or others, and every tenant gets its own values from it", async () => {
        const file = path.join(plane.release, "configuration.php");
        const st = fs.statSync(file);
        expect(st.uid).toBe(0);
        expect(st.mode & 0o022).toBe(0);
        const r = spawnSync("setpriv", ["--reuid=www-data", "--regid=www-data", "--clear-groups", "sh", "-c", `: >> ${file}`], { encoding: "utf8" });
        expect(r.status).not.toBe(0);
        expect(json(await httpsGet(plane.caddy, "dev.beta.example.com")).config.sitename).toBe("Site of beta");
        expect(json(await httpsGet(plane.caddy, "dev.alpha.example.com")).config.sitename).toBe("Site of alpha");
    });
});
