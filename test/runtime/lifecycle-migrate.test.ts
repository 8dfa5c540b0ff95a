/**
 * Migrations with Joomla's own update files and bookkeeping (#__schemas, version_compare order,
 * CAN FAIL), per tenant, isolated: 6.0.0 -> 6.0.4, 5.4.5 -> 6.0.4, a broken file failing one
 * tenant while the others finish, and two concurrent runs on one tenant that never interleave.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { layOutRelease } from "../harness/joomla-sql-fixtures";
import { TestPlatform, type TenantInfo } from "./lifecycle-harness";

async function schemaVersion(p: TestPlatform, t: TenantInfo): Promise<string[]> {
    const c = await p.query(t.database);
    try {
        const [rows] = await c.query<any[]>(
            `SELECT s.version_id FROM ${t.prefix}schemas s JOIN ${t.prefix}extensions e ON e.extension_id = s.extension_id WHERE e.type = 'file' AND e.element = 'joomla'`);
        return rows.map((r) => r.version_id);
    } finally {
        await c.end();
    }
}

function json(r: { stdout: string; stderr: string }) {
    try {
        return JSON.parse(r.stdout);
    } catch {
        throw new Error(`not JSON: ${r.stdout}\n${r.stderr}`);
    }
}

describe("migrate from 6.0.0 to 6.0.4", () => {
    let p: TestPlatform;
    let r604: string;
    let tenants: TenantInfo[];

    beforeAll(async () => {
        p = new TestPlatform(inject("mysql"));
        const r600 = layOutRelease("6.0.0", path.join(p.root, "r600"));
        r604 = layOutRelease("6.0.4", path.join(p.root, "r604"));
        expect(p.cli(["blueprint", "create", "--sql-only", "--release", r600, "--database", p.blueprintDb]).status).toBe(0);
        tenants = [];
        for (const name of ["alpha", "bravo", "charlie"]) {
            const t = await p.addTenant(name, { prefix: name === "bravo" ? "bv_" : "jos_" });
            expect(p.seed(t).status).toBe(0);
            tenants.push(t);
        }
    });
    afterAll(async () => p?.cleanup());

    it("--dry-run lists the pending 6.0.1 file per tenant and changes nothing", async () => {
        const r = p.cli(["migrate", "--all", "--release", r604, "--dry-run", "--json"]);
        expect(r.status, r.stderr).toBe(0);
        const out = json(r);
        expect(out.tenants.map((t: any) => [t.tenant, t.status, t.schemas[0].pending])).toEqual(
            tenants.map((t) => [t.name, "pending", ["6.0.1-2025-10-29"]]));
        expect(await schemaVersion(p, tenants[0])).toEqual(["6.0.0-2025-10-11"]);
    });

    it("applies the 6.0.1 file to every tenant, records it in #__schemas, and a re-run does nothing", async () => {
        const c = await p.query(tenants[0].database);
        await c.query("INSERT INTO jos_menu (menutype, title, alias, path, link, type, published, parent_id, level, component_id, access, img, params, lft, rgt, home, language, client_id) VALUES ('mainmenu', 'Arch', 'arch', 'arch', 'index.php?option=com_content&view=archive&catid[0]= 7', 'component', 1, 1, 1, 19, 1, '', '{}', 0, 0, 0, '*', 0)");
        const r = p.cli(["migrate", "--all", "--release", r604, "--json"]);
        expect(r.status, r.stderr).toBe(0);
        const out = json(r);
        for (const t of out.tenants) expect(t).toMatchObject({ status: "migrated", schemas: [{ applied: ["6.0.1-2025-10-29"], version: "6.0.1-2025-10-29" }] });
        for (const t of tenants) expect(await schemaVersion(p, t)).toEqual(["6.0.1-2025-10-29"]);
        // The file's second statement really ran on the tenant's data.
        const [menu] = await c.query<any[]>("SELECT link FROM jos_menu WHERE alias = 'arch'");
        expect(menu[0].link).toBe("index.php?option=com_content&view=archive&catid[0]=7");
        const [ext] = await c.query<any[]>("SELECT manifest_cache FROM jos_extensions WHERE type = 'file' AND element = 'joomla'");
        expect(JSON.parse(ext[0].manifest_cache).version).toBe("6.0.4");
        await c.end();

        const again = p.cli(["migrate", "--all", "--release", r604, "--json"]);
        expect(again.status).toBe(0);
        expect(json(again).tenants.map((t: any) => [t.status, t.schemas[0].applied])).toEqual(tenants.map(() => ["up-to-date", []]));
    });

    it("a broken update file fails one tenant with file, line and statement; the others finish; a re-run after the fix applies only what is pending", async () => {
        const broken = layOutRelease("6.0.4", path.join(p.root, "r605-broken"), {
            // Tolerated: the column exists since 6.0.0 (Joomla's CAN FAIL marker).
            "6.0.5-2026-01-10.sql": "ALTER TABLE `#__history` ADD COLUMN `is_legacy` TINYINT NOT NULL DEFAULT 0 /** CAN FAIL **/;\n"
                + "-- a table only some tenants have\nUPDATE `#__mokowaas_marker` SET `n` = `n` + 1;\n",
            "6.0.5-2026-01-11.sql": "INSERT INTO `#__mokowaas_marker2` (`v`) VALUES ('ran; really');\n",
        });
        for (const t of [tenants[0], tenants[2]]) {
            const c = await p.query(t.database);
            await c.query(`CREATE TABLE ${t.prefix}mokowaas_marker (n int NOT NULL)`);
            await c.query(`INSERT INTO ${t.prefix}mokowaas_marker VALUES (0)`);
            await c.end();
        }
        for (const t of tenants) {
            const c = await p.query(t.database);
            await c.query(`CREATE TABLE ${t.prefix}mokowaas_marker2 (v varchar(20))`);
            await c.end();
        }
        const r = p.cli(["migrate", "--all", "--release", broken, "--json", "--concurrency", "2"]);
        expect(r.status).toBe(1);
        const out = json(r);
        expect(out.failed).toBe(1);
        const byName = Object.fromEntries(out.tenants.map((t: any) => [t.tenant, t]));
        expect(byName.bravo.status).toBe("failed");
        expect(byName.bravo.error).toMatchObject({ file: "6.0.5-2026-01-10.sql", line: 3, statement: "UPDATE `#__mokowaas_marker` SET `n` = `n` + 1" });
        expect(byName.bravo.error.error).toMatch(/bv_mokowaas_marker' doesn't exist/);
        for (const name of ["alpha", "charlie"]) {
            expect(byName[name].status).toBe("migrated");
            expect(byName[name].schemas[0].toleratedFailures).toHaveLength(1);
        }
        expect(await schemaVersion(p, tenants[0])).toEqual(["6.0.5-2026-01-11"]);
        expect(await schemaVersion(p, tenants[1])).toEqual(["6.0.1-2025-10-29"]);

        // Text output names the failing file and statement on stderr too.
        const text = p.cli(["migrate", "--tenant", "bravo", "--release", broken]);
        expect(text.status).toBe(1);
        expect(text.stderr).toContain("bravo: FAILED in 6.0.5-2026-01-10.sql line 3");

        const c = await p.query(tenants[1].database);
        await c.query("CREATE TABLE bv_mokowaas_marker (n int NOT NULL)");
        await c.end();
        const fixed = p.cli(["migrate", "--all", "--release", broken, "--json"]);
        expect(fixed.status, fixed.stderr).toBe(0);
        const after = Object.fromEntries(json(fixed).tenants.map((t: any) => [t.tenant, t.schemas[0].applied]));
        expect(after).toEqual({ alpha: [], bravo: ["6.0.5-2026-01-10", "6.0.5-2026-01-11"], charlie: [] });
        for (const t of tenants) {
            const k = await p.query(t.database);
            const [rows] = await k.query<any[]>(`SELECT v FROM ${t.prefix}mokowaas_marker2`);
            expect(rows).toEqual([{ v: "ran; really" }]);
            await k.end();
        }
    });

    it("two concurrent runs on one tenant never interleave: the slow file runs exactly once", async () => {
        const slow = layOutRelease("6.0.4", path.join(p.root, "r606-slow"), {
            "6.0.5-2026-01-10.sql": "SELECT 1;", "6.0.5-2026-01-11.sql": "SELECT 1;",
            "6.0.6-2026-02-01.sql": "INSERT INTO `#__probe` (`what`) VALUES ('start');\nSELECT SLEEP(1.5);\nINSERT INTO `#__probe` (`what`) VALUES ('end');\n",
        });
        const t = tenants[2];
        const c = await p.query(t.database);
        await c.query(`CREATE TABLE ${t.prefix}probe (id int AUTO_INCREMENT PRIMARY KEY, what varchar(10))`);
        const [a, b] = await Promise.all([
            p.cliAsync(["migrate", "--tenant", t.name, "--release", slow, "--json"]),
            p.cliAsync(["migrate", "--tenant", t.name, "--release", slow, "--json"]),
        ]);
        expect([a.status, b.status]).toEqual([0, 0]);
        const applied = [json(a), json(b)].map((o) => o.tenants[0].schemas[0].applied).sort((x, y) => x.length - y.length);
        expect(applied).toEqual([[], ["6.0.6-2026-02-01"]]);
        const [rows] = await c.query<any[]>(`SELECT what FROM ${t.prefix}probe ORDER BY id`);
        expect(rows.map((r) => r.what)).toEqual(["start", "end"]);
        await c.end();
    });
});

describe("migrate from 5.4.5 to 6.0.4", () => {
    let p: TestPlatform;

    beforeAll(async () => {
        p = new TestPlatform(inject("mysql"));
    });
    afterAll(async () => p?.cleanup());

    it("applies every 6.0.0 and 6.0.1 file to a 5.4.5 site, in version order, with their effects", async () => {
        const r545 = layOutRelease("5.4.5", path.join(p.root, "r545"));
        const r604 = layOutRelease("6.0.4", path.join(p.root, "r604"));
        expect(p.cli(["blueprint", "create", "--sql-only", "--release", r545, "--database", p.blueprintDb]).status).toBe(0);
        const t = await p.addTenant("legacy");
        expect(p.seed(t).status).toBe(0);
        expect(await schemaVersion(p, t)).toEqual(["5.4.0-2025-08-02"]);

        const dry = json(p.cli(["migrate", "--tenant", "legacy", "--release", r604, "--dry-run", "--json"]));
        expect(dry.tenants[0].schemas[0].pending).toEqual([
            "6.0.0-2024-08-11", "6.0.0-2025-03-25", "6.0.0-2025-05-20", "6.0.0-2025-08-02", "6.0.0-2025-08-16", "6.0.0-2025-08-17",
            "6.0.0-2025-09-05", "6.0.0-2025-09-16", "6.0.0-2025-09-17", "6.0.0-2025-09-23", "6.0.0-2025-09-26", "6.0.0-2025-10-11",
            "6.0.1-2025-10-29"]);
        const r = p.cli(["migrate", "--tenant", "legacy", "--release", r604, "--json"]);
        expect(r.status, r.stderr).toBe(0);
        expect(json(r).tenants[0].schemas[0].applied).toHaveLength(13);
        expect(await schemaVersion(p, t)).toEqual(["6.0.1-2025-10-29"]);
        const c = await p.query(t.database);
        try {
            const [cols] = await c.query<any[]>("SHOW COLUMNS FROM jos_history LIKE 'is_legacy'");
            expect(cols).toHaveLength(1);
            const [tour] = await c.query<any[]>("SELECT COUNT(*) AS n FROM jos_guidedtours WHERE uid = 'joomla-whatsnew-6-0'");
            expect(tour[0].n).toBe(1);
            const [tpl] = await c.query<any[]>("SELECT COUNT(*) AS n FROM jos_mail_templates WHERE template_id = 'plg_content_joomla.newarticle'");
            expect(tpl[0].n).toBe(1);
        } finally {
            await c.end();
        }
        expect(json(p.cli(["migrate", "--tenant", "legacy", "--release", r604, "--json"])).tenants[0].status).toBe("up-to-date");
    });
});
