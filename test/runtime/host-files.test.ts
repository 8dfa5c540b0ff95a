/**
 * The per-host files (etc/mokowaas/registry/hosts/<host>.php) behind the bootstrap's fast path:
 * the registry keeps exactly one per served host, with the entry's secrets and modes, and a request
 * answered from one builds the same JConfig as one resolved through the host map and the entry.
 * Real CLI, PHP-FPM and Caddy; no database (the dump page stops after JConfig).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tenantAccountsOf } from "../harness/accounts";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { httpsGet, type Reply } from "../../devenv/caddy";
import { check, mokowaas, php } from "../../devenv/server-cli";
import { putEntry, rawHttpsStatus, setState, startDataPlane, type DataPlane, type TenantEntry } from "../harness/data-plane";
import { eventually } from "../harness/eventually";

let dir: string;
let plane: DataPlane;

function entry(tenant: string, extra: Partial<TenantEntry> = {}): TenantEntry {
    return {
        tenant,
        hosts: { dev: `dev.${tenant}.example.com`, production: `${tenant}.example.com`, aliases: [`www.${tenant}.example.com`] },
        online: false,
        db: { host: "127.0.0.1", port: 3306, name: tenant, user: tenant, password: `pw-${tenant}-x`, prefix: "jos_" },
        secret: `secret-of-${tenant}-123456`,
        siteName: `Site ${tenant}`,
        mail: { from: `webmaster@${tenant}.example.com`, fromName: `Site ${tenant}` },
        ...extra,
    };
}

// Boots like Joomla's index.php up to JConfig and reports what the bootstrap produced. It never
// names the superglobal holding server variables: whether PHP built it is part of the report.
const DUMP = `<?php
define('_JEXEC', 1);
require dirname(__DIR__) . '/defines.php';
$fast = !class_exists('MokoWaaS\\\\Joomla\\\\Tenant', false);
$server = array_key_exists('_SERVER', $GLOBALS);
require_once JPATH_CONFIGURATION . '/configuration.php';
$config = new JConfig();
header('Content-Type: application/json');
echo json_encode(['fast' => $fast, 'server' => $server, 'cache' => JPATH_CACHE, 'config' => get_object_vars($config),
    'declared' => array_keys(get_class_vars('JConfig'))]);
`;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-host-files-"));
    plane = await startDataPlane(dir, inject("mysql"));
    fs.mkdirSync(path.join(plane.release, "hf"), { mode: 0o755 });
    fs.writeFileSync(path.join(plane.release, "hf", "dump.php"), DUMP, { mode: 0o644 });
});
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

const hostFile = (host: string) => path.join(plane.root, "etc/mokowaas/registry/hosts", `${host}.php`);
const hostFiles = () => fs.readdirSync(path.join(plane.root, "etc/mokowaas/registry/hosts")).filter((f) => !f.startsWith(".")).sort();
const dump = async (host: string): Promise<Reply & { json: any }> => {
    const r = await httpsGet(plane.caddy, host, "/hf/dump.php", host.toLowerCase().replace(/:.*$/, "").replace(/\.$/, ""));
    expect(r.status, `${host}: ${r.body.slice(0, 300)}`).toBe(200);
    return { ...r, json: JSON.parse(r.body) };
};

describe("the registry keeps one file per served host", () => {
    test("a tenant being set up has none; once ready its dev host has one, owned like its entry", () => {
        check(putEntry(plane.root, entry("kilo")), "put kilo");
        expect(hostFiles()).toEqual([]);
        setState(plane.root, "kilo", "ready");
        expect(hostFiles()).toEqual(["dev.kilo.example.com.php"]);
        const st = fs.statSync(hostFile("dev.kilo.example.com"));
        const entryStat = fs.statSync(path.join(plane.root, "etc/mokowaas/registry/tenants/kilo.php"));
        expect(st.mode & 0o777).toBe(0o640);
        expect([st.uid, st.gid]).toEqual([entryStat.uid, entryStat.gid]);
        expect(st.uid).toBe(0);
        // The tenant's own group: its pool reads it, no other pool, and the platform pool neither.
        const account = tenantAccountsOf(plane.root).find((n) => n.endsWith("-kilo"))!;
        expect(st.gid).toBe(Number(check(php(plane.root, `echo posix_getgrnam(${JSON.stringify(account)})['gid'];`), "gid").stdout));
        // Every pool may pass through the folder to its own files; nobody but root lists it.
        expect(fs.statSync(path.dirname(hostFile("x"))).mode & 0o777).toBe(0o711);
        expect(fs.readFileSync(hostFile("dev.kilo.example.com"), "utf8")).toContain("'pw-kilo-x'");
    });

    test("production has one while online, aliases never", () => {
        check(putEntry(plane.root, entry("kilo", { online: true })), "online");
        expect(hostFiles()).toEqual(["dev.kilo.example.com.php", "kilo.example.com.php"]);
        check(putEntry(plane.root, entry("kilo", { online: false })), "offline");
        expect(hostFiles()).toEqual(["dev.kilo.example.com.php"]);
    });

    test("a changed entry rewrites the file; offboarding removes them and a failed offboard's return restores them", () => {
        check(putEntry(plane.root, entry("kilo", { siteName: "Kilo renamed", online: true })), "rename");
        expect(fs.readFileSync(hostFile("dev.kilo.example.com"), "utf8")).toContain("'Kilo renamed'");
        setState(plane.root, "kilo", "offboarding");
        expect(hostFiles()).toEqual([]);
        setState(plane.root, "kilo", "ready");
        expect(hostFiles()).toEqual(["dev.kilo.example.com.php", "kilo.example.com.php"]);
    });

    test("rebuild restores a missing file and removes one no entry stands for; rm removes the tenant's", () => {
        fs.rmSync(hostFile("kilo.example.com"));
        fs.writeFileSync(hostFile("stale.example.com"), "<?php return ['tenant' => 'gone', 'role' => 'dev', 'cache' => '/x'];\n");
        check(mokowaas(plane.root, ["registry", "rebuild"]), "rebuild");
        expect(hostFiles()).toEqual(["dev.kilo.example.com.php", "kilo.example.com.php"]);
        check(mokowaas(plane.root, ["registry", "rm", "kilo"]), "rm");
        expect(hostFiles()).toEqual([]);
    });
});

describe("fast path and host map path agree", () => {
    beforeAll(() => {
        check(putEntry(plane.root, entry("lima", { online: true })), "put lima");
        setState(plane.root, "lima", "ready");
    });

    test.each([
        ["dev.lima.example.com", "dev.lima.example.com:443", "noindex, nofollow"],
        ["lima.example.com", "lima.example.com:443", ""],
    ])("%s (per-host file) and %s (host map, entry) build the same JConfig", async (fastHost, mappedHost, robots) => {
        const fast = await dump(fastHost);
        const mapped = await dump(mappedHost);
        expect(fast.json.fast, "served from the per-host file, no class loaded").toBe(true);
        expect(mapped.json.fast, "resolved through Tenant").toBe(false);
        expect(fast.json.server, "resolution made PHP build $_SERVER").toBe(false);
        expect(mapped.json.server, "resolution made PHP build $_SERVER").toBe(false);
        expect(fast.json.config).toEqual(mapped.json.config);
        expect(fast.json.declared).toEqual(mapped.json.declared);
        expect(Object.keys(fast.json.config)).toEqual(fast.json.declared);
        expect(fast.json.cache).toBe(mapped.json.cache);
        expect(fast.json.cache).toBe(path.join(plane.root, "srv/mokowaas/tenants/lima/cache"));
        expect(fast.json.config).toMatchObject({ db: "lima", user: "lima", password: "pw-lima-x", sitename: "Site lima", robots, live_site: "" });
        expect(fast.headers["x-robots-tag"]).toBe(mapped.headers["x-robots-tag"]);
        expect(fast.headers["x-robots-tag"]).toBe(robots === "" ? undefined : robots);
    });

    test("a host taken offline stops being served from its file", async () => {
        check(putEntry(plane.root, entry("lima", { online: false })), "offline");
        const r = await eventually(() => httpsGet(plane.caddy, "lima.example.com", "/hf/dump.php"), (x) => x.status === 503);
        expect(r.status).toBe(503);
        expect(r.body).toContain("Site lima");
    });

    test("a Host that would leave the per-host folder is malformed (400) or not the TLS name (421), never an include", async () => {
        for (const [raw, status] of [["../tenants/lima", 400], ["..%2ftenants%2flima", 421], ["/etc/passwd", 400], ["hosts/../../tenants/lima", 400]] as const) {
            const r = await rawHttpsStatus(plane.caddy, "dev.lima.example.com", raw, "/hf/dump.php");
            expect(r.status, raw).toBe(status);
        }
    });
});
