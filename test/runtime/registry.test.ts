/**
 * `mokowaas registry put|rm|list|rebuild` and the Registry API, through the real CLI in a
 * temporary root with a real PHP-FPM master (each tenant's pool is written, checked and reloaded
 * into it): validation that changes nothing, host ownership, state handling, each tenant's Unix
 * user, pool and file modes and owners, and 50 concurrent writers.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { startPhpFpm, type PhpFpm } from "../../devenv/php-fpm";
import { check, mokowaas, mokowaasAsync, php } from "../../devenv/server-cli";
import { removeTenantAccounts, tenantAccountsOf } from "../harness/accounts";
import { preparePlatform, putEntry, setState, type TenantEntry } from "../harness/data-plane";

let dir: string;
let root: string;
let fpm: PhpFpm;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-registry-"));
    root = path.join(dir, "root");
    preparePlatform(root, inject("mysql"), path.join(dir, "fpm"));
    fpm = await startPhpFpm({ dir: path.join(dir, "fpm"), root });
});
afterAll(async () => {
    await fpm?.stop();
    removeTenantAccounts(root);
    fs.rmSync(dir, { recursive: true, force: true });
});

/** The tenant's Unix account: [uid, gid] from the system's user database. */
function account(tenant: string): { name: string; uid: number; gid: number } {
    const name = tenantAccountsOf(root).find((n) => n.endsWith(`-${tenant}`));
    expect(name, `a Unix user for ${tenant}`).toBeDefined();
    const [uid, gid] = check(php(root, `$p = posix_getpwnam(${JSON.stringify(name)}); echo $p['uid'], ' ', $p['gid'];`), "account").stdout.split(" ").map(Number);
    return { name: name!, uid, gid };
}

function entry(tenant: string, extra: Partial<TenantEntry> = {}): TenantEntry {
    return {
        tenant,
        hosts: { dev: `dev.${tenant}.example.com`, production: `${tenant}.example.com`, aliases: [`www.${tenant}.example.com`] },
        online: false,
        db: { host: "127.0.0.1", port: 3306, name: tenant.replace(/-/g, "_"), user: tenant.replace(/-/g, "_"), password: `pw-${tenant}`, prefix: "jos_" },
        secret: `secret-of-${tenant}-123456`,
        siteName: `Site ${tenant}`,
        mail: { from: `webmaster@${tenant}.example.com`, fromName: `Site ${tenant}` },
        ...extra,
    };
}

const registryDir = () => path.join(root, "etc", "mokowaas", "registry");
const hostMapFile = () => path.join(registryDir(), "hosts.php");

/** Every file of the registry with its content hash: "exactly as it was" means this is equal. */
function snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
        for (const name of fs.readdirSync(d)) {
            const f = path.join(d, name);
            if (name === ".lock") continue;
            if (fs.statSync(f).isDirectory()) walk(f);
            else out[path.relative(registryDir(), f)] = crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
        }
    };
    if (fs.existsSync(registryDir())) walk(registryDir());
    return out;
}

function hostMap(): { hosts: Record<string, { tenant: string; role: string; online: boolean; state: string; redirect?: string }>; offboarding: Record<string, string[]> } {
    return JSON.parse(check(php(root, `echo json_encode(require ${JSON.stringify(hostMapFile())});`), "read host map").stdout);
}

describe("registry put", () => {
    test("stores a new tenant as provisioning, compiles its hosts, creates its Unix user, its folders owned by it and its own PHP-FPM pool", () => {
        check(putEntry(root, entry("acme")), "put acme");
        const map = hostMap();
        expect(map.hosts["dev.acme.example.com"]).toMatchObject({ tenant: "acme", role: "dev", state: "provisioning", online: false });
        expect(map.hosts["acme.example.com"]).toMatchObject({ tenant: "acme", role: "production" });
        expect(map.hosts["www.acme.example.com"]).toMatchObject({ tenant: "acme", role: "alias", redirect: "acme.example.com" });

        const acme = account("acme");
        const modes: Record<string, number> = { cache: 0o750, tmp: 0o750, logs: 0o750, sessions: 0o700, media: 0o2750, "media/images": 0o2750, "media/files": 0o2750 };
        for (const [sub, mode] of Object.entries(modes)) {
            const st = fs.statSync(path.join(root, "srv/mokowaas/tenants/acme", sub));
            expect(st.isDirectory(), sub).toBe(true);
            expect(st.uid, `${sub} owner`).toBe(acme.uid);
            expect(st.mode & 0o7777, `${sub} mode`).toBe(mode);
            // media belongs to the web server's group (root here), the rest to the tenant's.
            expect(st.gid, `${sub} group`).toBe(sub.startsWith("media") ? 0 : acme.gid);
        }
        const base = fs.statSync(path.join(root, "srv/mokowaas/tenants/acme"));
        expect([base.uid, base.gid, base.mode & 0o777]).toEqual([0, acme.gid, 0o751]);

        // Secrets: entry 0640 root:<tenant's group>; registry folders passable, not listable.
        const entryStat = fs.statSync(path.join(registryDir(), "tenants", "acme.php"));
        expect(entryStat.mode & 0o777).toBe(0o640);
        expect(entryStat.uid).toBe(0);
        expect(entryStat.gid).toBe(acme.gid);
        expect(fs.statSync(registryDir()).mode & 0o777).toBe(0o711);
        expect(fs.statSync(path.join(root, "etc", "mokowaas")).mode & 0o777).toBe(0o711);
        expect(fs.statSync(hostMapFile()).mode & 0o777).toBe(0o644);

        // Its pool: its own user, ondemand, its own folders; read by the FPM master alone; its socket is up.
        const pool = fs.readFileSync(path.join(root, "etc/mokowaas/fpm/acme.conf"), "utf8");
        expect(fs.statSync(path.join(root, "etc/mokowaas/fpm/acme.conf")).mode & 0o777).toBe(0o600);
        expect(pool).toContain(`user = ${acme.name}`);
        expect(pool).toMatch(/^pm = ondemand$/m);
        expect(pool).toContain(`php_admin_value[session.save_path] = ${root}/srv/mokowaas/tenants/acme/sessions`);
        expect(pool).toMatch(/^env\[MOKOWAAS_TENANT\] = acme$/m);
        const socket = fs.statSync(path.join(root, "run/php/mokowaas-acme.sock"));
        expect(socket.isSocket()).toBe(true);
        expect(socket.uid).toBe(acme.uid);
    });

    test("list shows entries without their secrets", () => {
        const list = JSON.parse(check(mokowaas(root, ["registry", "list"]), "list").stdout);
        const acme = list.find((e: TenantEntry) => e.tenant === "acme");
        expect(acme).toMatchObject({ tenant: "acme", state: "provisioning", db: { name: "acme", user: "acme" } });
        expect(acme.db.password).toBeUndefined();
        expect(acme.secret).toBeUndefined();
        expect(JSON.stringify(list)).not.toContain("pw-acme");
    });

    test("a put keeps the state the server set (ready stays ready)", () => {
        setState(root, "acme", "ready");
        check(putEntry(root, entry("acme", { online: true })), "put acme online");
        expect(hostMap().hosts["acme.example.com"]).toMatchObject({ state: "ready", online: true });
        // The media of served hosts is linked for Caddy: dev and (online) production, not aliases.
        const hosts = path.join(root, "srv/mokowaas/hosts");
        expect(fs.readlinkSync(path.join(hosts, "dev.acme.example.com"))).toBe("../tenants/acme/media");
        expect(fs.readlinkSync(path.join(hosts, "acme.example.com"))).toBe("../tenants/acme/media");
        expect(fs.existsSync(path.join(hosts, "www.acme.example.com"))).toBe(false);
    });

    const bad: [string, unknown, string][] = [
        ["a missing field", (() => { const e: Partial<TenantEntry> = entry("bad"); delete e.secret; return e; })(), "secret: is required"],
        ["a bad host", entry("bad", { hosts: { dev: "dev.bad.example.com", production: "bad..example.com", aliases: [] } }), 'hosts.production: "bad..example.com" is not a host name'],
        ["an upper-case host", entry("bad", { hosts: { dev: "Dev.bad.example.com", production: "bad.example.com", aliases: [] } }), 'must be written in normal form: "dev.bad.example.com"'],
        ["an IP address as host", entry("bad", { hosts: { dev: "10.0.0.1", production: "bad.example.com", aliases: [] } }), "hosts.dev"],
        ["a host another tenant owns", entry("bad", { hosts: { dev: "dev.bad.example.com", production: "acme.example.com", aliases: [] } }), 'hosts: "acme.example.com" belongs to tenant acme'],
        ["an alias another tenant owns", entry("bad", { hosts: { dev: "dev.bad.example.com", production: "bad.example.com", aliases: ["www.acme.example.com"] } }), "belongs to tenant acme"],
        ["a host named twice", entry("bad", { hosts: { dev: "bad.example.com", production: "bad.example.com", aliases: [] } }), "is named more than once"],
        ["a port out of range", entry("bad", { db: { host: "127.0.0.1", port: 70000, name: "bad", user: "bad", password: "x", prefix: "jos_" } }), "db.port"],
        ["a bad table prefix", entry("bad", { db: { host: "127.0.0.1", port: 3306, name: "bad", user: "bad", password: "x", prefix: "jos" } }), "db.prefix"],
        ["an unknown field", { ...entry("bad"), colour: "red" }, "colour: unknown field"],
        ["a state set by the client", { ...entry("bad"), state: "ready" }, "state: is set by the server"],
        ["online as a string", { ...entry("bad"), online: "yes" }, "online: is required (true or false)"],
        ["an extension name that is not one", { ...entry("bad"), extensions: ["Bad Name"] }, "extensions[0]: must be an extension name"],
        ["an extension named twice", { ...entry("bad"), extensions: ["probe", "probe"] }, "extensions: names an extension more than once"],
        ["an extension the served release does not offer", { ...entry("bad"), extensions: ["probe"] }, 'extensions: "probe" not offered by the platform (the served release offers none'],
    ];
    test.each(bad)("refuses %s with exit 3, a message naming the field, and the registry exactly as it was", (_, value, message) => {
        const before = snapshot();
        const r = mokowaas(root, ["registry", "put", "bad"], JSON.stringify(value));
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("nothing was changed");
        expect(r.stderr).toContain(message);
        expect(snapshot()).toEqual(before);
        expect(fs.existsSync(path.join(root, "srv/mokowaas/tenants/bad"))).toBe(false);
    });

    test("refuses input that is not JSON, or names another tenant than the argument", () => {
        const before = snapshot();
        const notJson = mokowaas(root, ["registry", "put", "acme"], "{nope");
        expect(notJson.status).toBe(3);
        expect(notJson.stderr).toContain("stdin is not valid JSON");
        const other = mokowaas(root, ["registry", "put", "other"], JSON.stringify(entry("acme")));
        expect(other.status).toBe(3);
        expect(other.stderr).toContain('the entry\'s "tenant" field must be "other"');
        const badName = mokowaas(root, ["registry", "put", "../etc"], JSON.stringify(entry("acme")));
        expect(badName.status).toBe(3);
        expect(snapshot()).toEqual(before);
    });
});

describe("state", () => {
    test("offboarding takes the tenant out of the host map, yet no other tenant can take its hosts", () => {
        check(putEntry(root, entry("leaving")), "put leaving");
        setState(root, "leaving", "offboarding");
        const map = hostMap();
        expect(Object.values(map.hosts).some((row) => row.tenant === "leaving")).toBe(false);
        expect(map.offboarding.leaving).toContain("leaving.example.com");
        const r = putEntry(root, entry("thief", { hosts: { dev: "dev.thief.example.com", production: "leaving.example.com", aliases: [] } }));
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("belongs to tenant leaving");
        // A failed offboard puts the hosts back.
        setState(root, "leaving", "ready");
        expect(hostMap().hosts["leaving.example.com"]).toMatchObject({ tenant: "leaving", state: "ready" });
    });

    test("an unknown state is refused", () => {
        const r = php(root, `try { (new MokoWaaS\\Registry(MokoWaaS\\Paths::fromEnv()))->setState('acme', 'gone'); } catch (MokoWaaS\\Cli\\UserError $e) { echo $e->getMessage(); }`);
        expect(r.stdout).toContain('state "gone" is not one of provisioning, ready, offboarding');
    });
});

describe("registry rm and rebuild", () => {
    test("rm removes the entry, its hosts and its media links, keeps the folders, and may run twice", () => {
        check(putEntry(root, entry("gone")), "put gone");
        setState(root, "gone", "ready");
        expect(fs.existsSync(path.join(root, "srv/mokowaas/hosts/dev.gone.example.com"))).toBe(true);
        check(mokowaas(root, ["registry", "rm", "gone"]), "rm gone");
        expect(Object.values(hostMap().hosts).some((row) => row.tenant === "gone")).toBe(false);
        expect(fs.existsSync(path.join(registryDir(), "tenants", "gone.php"))).toBe(false);
        expect(fs.existsSync(path.join(root, "srv/mokowaas/hosts/dev.gone.example.com"))).toBe(false);
        expect(fs.existsSync(path.join(root, "srv/mokowaas/tenants/gone/media"))).toBe(true);
        const again = check(mokowaas(root, ["registry", "rm", "gone"]), "rm gone again");
        expect(again.stdout).toContain("had no entry");
    });

    test("rebuild recompiles a lost host map from the entries", () => {
        const before = hostMap();
        fs.unlinkSync(hostMapFile());
        check(mokowaas(root, ["registry", "rebuild"]), "rebuild");
        expect(hostMap()).toEqual(before);
    });

    test("rebuild converts a server whose tenants shared one pool: users, owners, pools and links come back", () => {
        check(putEntry(root, entry("oscar", { online: true })), "put oscar");
        setState(root, "oscar", "ready");
        const tenantDir = path.join(root, "srv/mokowaas/tenants/oscar");
        // What a server of the shared-pool days has: no pool, no pool links, folders of www-data, no user.
        fs.rmSync(path.join(root, "etc/mokowaas/fpm/oscar.conf"));
        for (const h of ["dev.oscar.example.com", "oscar.example.com"]) fs.rmSync(path.join(root, `var/lib/mokowaas/fpm-hosts/${h}.sock`));
        fs.writeFileSync(path.join(tenantDir, "media/images/old-upload.jpg"), "jpeg");
        for (const sub of ["cache", "media", "sessions", "media/images", "media/images/old-upload.jpg"]) fs.chownSync(path.join(tenantDir, sub), 33, 33);
        removeTenantAccounts(root);
        expect(tenantAccountsOf(root)).toEqual([]);

        check(mokowaas(root, ["registry", "rebuild"]), "rebuild");
        const oscar = account("oscar");
        expect(fs.readFileSync(path.join(root, "etc/mokowaas/fpm/oscar.conf"), "utf8")).toContain(`user = ${oscar.name}`);
        for (const h of ["dev.oscar.example.com", "oscar.example.com"]) {
            expect(fs.readlinkSync(path.join(root, `var/lib/mokowaas/fpm-hosts/${h}.sock`))).toBe(path.join(root, "run/php/mokowaas-oscar.sock"));
        }
        expect(fs.existsSync(path.join(root, "var/lib/mokowaas/fpm-hosts/www.oscar.example.com.sock"))).toBe(false);
        for (const sub of ["cache", "media", "sessions", "media/images/old-upload.jpg"]) expect(fs.statSync(path.join(tenantDir, sub)).uid, sub).toBe(oscar.uid);
        expect(fs.statSync(path.join(root, "run/php/mokowaas-oscar.sock")).isSocket()).toBe(true);
    });
});

describe("concurrency", () => {
    test("50 concurrent `registry put` of different tenants leave a consistent registry", async () => {
        const names = Array.from({ length: 50 }, (_, i) => `par-${String(i).padStart(2, "0")}`);
        const results = await Promise.all(names.map((n) => mokowaasAsync(root, ["registry", "put", n], JSON.stringify(entry(n)))));
        for (const [i, r] of results.entries()) expect(r.status, `${names[i]}: ${r.stderr}`).toBe(0);

        const map = hostMap();
        for (const n of names) {
            for (const h of [`dev.${n}.example.com`, `${n}.example.com`, `www.${n}.example.com`]) {
                expect(map.hosts[h]?.tenant, h).toBe(n);
            }
        }
        const list: TenantEntry[] = JSON.parse(check(mokowaas(root, ["registry", "list"]), "list").stdout);
        expect(list.filter((e) => e.tenant.startsWith("par-")).map((e) => e.tenant)).toEqual(names);
        // The map is exactly what the entries compile to, and no temporary file was left behind.
        const compiled = JSON.stringify(map);
        check(mokowaas(root, ["registry", "rebuild"]), "rebuild");
        expect(JSON.stringify(hostMap())).toBe(compiled);
        const leftovers = fs.readdirSync(registryDir()).concat(fs.readdirSync(path.join(registryDir(), "tenants"))).filter((f) => f.endsWith(".tmp"));
        expect(leftovers).toEqual([]);
    });
});
