/**
 * `blueprint create` with Joomla's real CLI installer (the 6.0.4 Full Package): it runs in a
 * throwaway copy of the release, connects through a temporary MySQL account that exists only
 * while it runs (the installer takes its database password in argv), and a failing or unusable
 * installer fails the create with its reason and leaves the blueprint as it was. The install SQL
 * alone is only used when asked for (--sql-only).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminConnection } from "../../devenv/mysql";
import { joomlaRelease } from "../harness/joomla-package";
import { TestPlatform } from "./lifecycle-harness";

describe("blueprint create with Joomla's installer", () => {
    let p: TestPlatform;
    let release: string;
    const meta = () => JSON.parse(p.cli(["blueprint", "show"]).stdout);
    const installerCopies = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("mokowaas-installer-"));

    beforeAll(() => {
        p = new TestPlatform(inject("mysql"));
        release = joomlaRelease("6.0.4", path.join(p.root, "release"));
    });
    afterAll(async () => p?.cleanup());

    it("runs the installer in a throwaway copy, connected through a temporary account that is gone afterwards", async () => {
        const copiesBefore = installerCopies();
        const c = await adminConnection(p.db);
        try {
            await c.query("SET GLOBAL log_output = 'TABLE'");
            await c.query("SET GLOBAL general_log = 'ON'");
            const r = p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb]);
            await c.query("SET GLOBAL general_log = 'OFF'");
            expect(r.status, r.stderr).toBe(0);
            expect(r.stdout).toContain("built from Joomla 6.0.4 (installer)");
            // Who the installer connected as: only the temporary account, to the staging database.
            const [connects] = await c.query<any[]>(
                "SELECT CONVERT(argument USING utf8mb4) AS a FROM mysql.general_log WHERE command_type = 'Connect' AND CONVERT(argument USING utf8mb4) LIKE 'mkbp\\_%'");
            expect(connects.length).toBeGreaterThan(0);
            for (const { a } of connects) expect(a).toMatch(new RegExp(`^mkbp_[0-9a-f]{8}@(localhost|127\\.0\\.0\\.1) on (${p.blueprintDb}_new)? ?using`));
            const [left] = await c.query<any[]>("SELECT User FROM mysql.user WHERE User LIKE 'mkbp\\_%'");
            expect(left).toEqual([]);
            const [su] = await c.query<any[]>(
                `SELECT u.username, u.block, u.password FROM \`${p.blueprintDb}\`.bp_users u JOIN \`${p.blueprintDb}\`.bp_user_usergroup_map m ON m.user_id = u.id AND m.group_id = 8`);
            expect(su).toEqual([{ username: "blueprint-admin", block: 1, password: "" }]);
        } finally {
            await c.query("SET GLOBAL general_log = 'OFF'");
            await c.query("TRUNCATE TABLE mysql.general_log");
            await c.end();
        }
        // The release as published is untouched: installer still there, no configuration.php; the copy is gone.
        expect(fs.existsSync(path.join(release, "installation/joomla.php"))).toBe(true);
        expect(fs.existsSync(path.join(release, "configuration.php"))).toBe(false);
        expect(installerCopies()).toEqual(copiesBefore);
        expect(meta()).toMatchObject({ method: "installer", joomlaVersion: "6.0.4", schemaVersion: "6.0.1-2025-10-29" });
        const t = await p.addTenant("via-installer");
        expect(p.seed(t).status).toBe(0);
    });

    it("a failing installer fails the create with the installer's own output and leaves the blueprint as it was", async () => {
        const before = meta();
        const broken = joomlaRelease("6.0.4", path.join(p.root, "broken"));
        // Replaced, not edited: the copy shares its files with the pristine package.
        const base = path.join(broken, "installation/sql/mysql/base.sql");
        const sql = fs.readFileSync(base, "utf8");
        fs.rmSync(base);
        fs.writeFileSync(base, `${sql}\nCREATE TABLE \`#__broken\` (this is not SQL);\n`);
        const r = p.cli(["blueprint", "create", "--release", broken, "--database", p.blueprintDb]);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the Joomla installer failed");
        expect(r.stderr).toMatch(/SQL syntax|Creating and populating the database/);
        expect(meta()).toEqual(before);
        const c = await adminConnection(p.db);
        try {
            const [dbs] = await c.query<any[]>(`SHOW DATABASES LIKE '${p.blueprintDb}\\_new'`);
            expect(dbs).toEqual([]);
            const [users] = await c.query<any[]>(`SELECT COUNT(*) AS n FROM \`${p.blueprintDb}\`.bp_users`);
            expect(users[0].n).toBe(1);
        } finally {
            await c.end();
        }
    });

    it("an installer that cannot run is refused (exit 4) unless the install SQL alone is asked for (--sql-only)", () => {
        const before = meta();
        const noInstaller = joomlaRelease("6.0.4", path.join(p.root, "no-installer"));
        fs.rmSync(path.join(noInstaller, "installation/joomla.php"));
        const r = p.cli(["blueprint", "create", "--release", noInstaller, "--database", p.blueprintDb]);
        expect(r.status).toBe(4);
        expect(r.stderr).toContain("installation/joomla.php is missing");
        expect(r.stderr).toContain("--sql-only");
        expect(meta()).toEqual(before);
        const sqlOnly = p.cli(["blueprint", "create", "--sql-only", "--release", noInstaller, "--database", p.blueprintDb]);
        expect(sqlOnly.status, sqlOnly.stderr).toBe(0);
        expect(meta()).toMatchObject({ method: "sql-only", joomlaVersion: "6.0.4", schemaVersion: before.schemaVersion });
    });
});
