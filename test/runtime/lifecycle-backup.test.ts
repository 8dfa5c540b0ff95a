/**
 * Backups with the real Borg 1.2 (repokey, passphrase from the root-only file), restore, clone,
 * per-tenant prune, and an offboarding that loses nothing when the repository cannot be written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { archives } from "../../devenv/borg";
import { setImmutable } from "../harness/immutable";
import { joomlaRelease } from "../harness/joomla-package";
import { TestPlatform, type TenantInfo } from "./lifecycle-harness";

describe("backup, restore, clone, prune, offboard", () => {
    let p: TestPlatform;
    let acme: TenantInfo;

    const userName = async (t: TenantInfo) => {
        const c = await p.query(t.database);
        try {
            const [rows] = await c.query<any[]>(`SELECT u.name FROM ${t.prefix}users u JOIN ${t.prefix}user_usergroup_map m ON m.user_id = u.id AND m.group_id = 8`);
            return rows[0]?.name as string | undefined;
        } finally {
            await c.end();
        }
    };
    const setUserName = async (t: TenantInfo, name: string) => {
        const c = await p.query(t.database);
        await c.query(`UPDATE ${t.prefix}users SET name = ?`, [name]);
        await c.end();
    };

    /** acme's own Global Configuration settings (config/settings.json). */
    const settings = () => path.join(p.tenantDir("acme"), "config/settings.json");

    beforeAll(async () => {
        p = new TestPlatform(inject("mysql"));
        const release = joomlaRelease("6.0.4", path.join(p.root, "release"));
        expect(p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb]).status).toBe(0);
        acme = await p.addTenant("acme", { online: true });
        expect(p.seed(acme).status).toBe(0);
    });
    afterAll(async () => p?.cleanup());

    it("backs up a tenant: dump, media and entry in one encrypted archive, passphrase never in argv or output", async () => {
        fs.writeFileSync(path.join(p.tenantDir("acme"), "media/images/logo.txt"), "original logo");
        fs.writeFileSync(path.join(p.tenantDir("acme"), "cache/junk.txt"), "cache");
        fs.writeFileSync(settings(), '{"sitename": "Before Backup"}\n');
        await setUserName(acme, "Before Backup");
        const r = p.cli(["backup", "acme"]);
        expect(r.status, r.stderr).toBe(0);
        const name = r.stdout.match(/archived as (\S+)/)![1];
        expect(name).toMatch(/^acme-\d{8}T\d{6}\.\d{3}Z$/);
        expect(archives(p.root, p.repo)).toEqual([name]);
        const pass = fs.readFileSync(path.join(p.root, "etc/mokowaas/borg.passphrase"), "utf8").trim();
        expect(r.stdout + r.stderr).not.toContain(pass);
        const config = fs.readFileSync(path.join(p.repo, "config"), "utf8");
        expect(config).toMatch(/key = /); // repokey: the key lives, encrypted, in the repository
        // What is inside: dump, entry, manifest, media; never cache.
        const list = p.cli(["backups", "acme", "--json"]);
        expect(JSON.parse(list.stdout)).toMatchObject([{ archive: name, tag: null }]);
        expect(fs.existsSync(path.join(p.tenantDir("acme"), ".backup"))).toBe(false);
    });

    it("restores: changed data and media come back, and the state before the restore is archived first", async () => {
        await setUserName(acme, "Changed After Backup");
        fs.writeFileSync(path.join(p.tenantDir("acme"), "media/images/logo.txt"), "defaced");
        fs.writeFileSync(path.join(p.tenantDir("acme"), "media/images/new.txt"), "new");
        fs.writeFileSync(settings(), '{"sitename": "Changed After Backup"}\n');
        const c = await p.query(acme.database);
        await c.query("CREATE TABLE jos_added_later (id int)");
        await c.end();
        const r = p.cli(["restore", "acme"]);
        expect(r.status, r.stderr).toBe(0);
        expect(await userName(acme)).toBe("Before Backup");
        expect(fs.readFileSync(path.join(p.tenantDir("acme"), "media/images/logo.txt"), "utf8")).toBe("original logo");
        expect(fs.existsSync(path.join(p.tenantDir("acme"), "media/images/new.txt"))).toBe(false);
        // The tenant's own Global Configuration comes back with its site.
        expect(JSON.parse(fs.readFileSync(settings(), "utf8"))).toEqual({ sitename: "Before Backup" });
        const k = await p.query(acme.database);
        const [t] = await k.query<any[]>("SHOW TABLES LIKE 'jos_added_later'");
        expect(t).toHaveLength(0);
        await k.end();
        const all = JSON.parse(p.cli(["backups", "acme", "--json"]).stdout);
        expect(all.map((a: any) => a.tag)).toEqual([null, "pre-restore"]);
        expect(p.entry("acme")?.state).toBe("ready");
        // The safety archive really holds the pre-restore state: restoring it brings "Changed After Backup" back.
        expect(p.cli(["restore", "acme", "--archive", all[1].archive]).status).toBe(0);
        expect(await userName(acme)).toBe("Changed After Backup");
    });

    it("clones into another tenant with its own database, prefix and media path", async () => {
        await setUserName(acme, "Clone Source");
        expect(p.cli(["backup", "acme"]).status).toBe(0);
        const copy = await p.addTenant("acme-copy", { prefix: "cp_" });
        const r = p.cli(["restore", "acme", "--into", "acme-copy"]);
        expect(r.status, r.stderr).toBe(0);
        expect(await userName(copy)).toBe("Clone Source");
        expect(await userName(acme)).toBe("Clone Source");
        const c = await p.query(copy.database);
        const [tables] = await c.query<any[]>("SHOW TABLES");
        expect(tables.every((t: any) => String(Object.values(t)[0]).startsWith("cp_"))).toBe(true);
        const [media] = await c.query<any[]>("SELECT params FROM cp_extensions WHERE element = 'com_media'");
        expect(JSON.parse(media[0].params).image_path).toBe("sites/acme-copy/media/images");
        await c.end();
        // acme's media is the pre-restore state brought back above.
        expect(fs.readFileSync(path.join(p.tenantDir("acme-copy"), "media/images/logo.txt"), "utf8")).toBe("defaced");
        expect(p.entry("acme-copy")?.state).toBe("ready");
        expect(p.entry("acme-copy")?.db.name).toBe(copy.database);
    });

    it("prunes one tenant by its own retention and never touches another tenant's archives, even one whose name starts with it", async () => {
        const shop = await p.addTenant("acme-shop");
        expect(p.seed(shop).status).toBe(0);
        p.putEntry(acme, { online: true, keep: { daily: 1, weekly: 0, monthly: 0 } });
        for (let i = 0; i < 2; i++) {
            expect(p.cli(["backup", "acme"]).status).toBe(0);
            expect(p.cli(["backup", "acme-shop"]).status).toBe(0);
        }
        const before = archives(p.root, p.repo);
        const shopBefore = before.filter((a) => a.startsWith("acme-shop-"));
        expect(shopBefore).toHaveLength(2);
        const r = p.cli(["prune", "acme"]);
        expect(r.status, r.stderr).toBe(0);
        const after = archives(p.root, p.repo);
        expect(after.filter((a) => a.startsWith("acme-shop-"))).toEqual(shopBefore);
        expect(after.filter((a) => a.startsWith("acme-copy-"))).toEqual(before.filter((a) => a.startsWith("acme-copy-")));
        const acmeNightly = after.filter((a) => /^acme-\d{8}T/.test(a));
        expect(acmeNightly).toEqual([before.filter((a) => /^acme-\d{8}T/.test(a)).at(-1)]);
        // Tagged archives (the safety ones) are kept.
        expect(after.filter((a) => a.startsWith("acme-pre-restore-")).length).toBe(2);
    });

    it("offboard with the Borg repository unwritable removes nothing and puts the hosts back; then offboards for real", async () => {
        const dir = p.tenantDir("acme-shop");
        const hostsBefore = p.hostMapText();
        expect(hostsBefore).toContain("dev.acme-shop.example.test");
        // Root ignores mode bits, so the repository is made immutable (chattr +i): no file in it can be created or changed.
        setImmutable(p.repo, true);
        let r;
        try {
            r = p.cli(["offboard", "acme-shop"]);
        } finally {
            setImmutable(p.repo, false);
        }
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/offboarding FAILED, nothing removed, hosts serving again/);
        expect(fs.existsSync(path.join(dir, "media"))).toBe(true);
        expect(p.entry("acme-shop")?.state).toBe("ready");
        expect(p.hostMapText()).toBe(hostsBefore);
        expect(archives(p.root, p.repo).filter((a) => a.startsWith("acme-shop-final-"))).toEqual([]);

        const ok = p.cli(["offboard", "acme-shop"]);
        expect(ok.status, ok.stderr).toBe(0);
        const final = archives(p.root, p.repo).filter((a) => a.startsWith("acme-shop-final-"));
        expect(final).toHaveLength(1);
        expect(fs.existsSync(dir)).toBe(false);
        expect(p.entry("acme-shop")).toBeUndefined();
        expect(p.hostMapText()).not.toContain("acme-shop.example.test");
        expect(p.hostMapText()).toContain("dev.acme.example.test");
        // The archive outlives the tenant and lists without an entry.
        expect(JSON.parse(p.cli(["backups", "acme-shop", "--json"]).stdout).map((a: any) => a.tag)).toEqual([null, null, "final"]);
    });
});
