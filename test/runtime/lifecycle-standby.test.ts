/**
 * The blueprint's standby copy (BlueprintStandby) against the real MySQL with the Joomla 6.0.4
 * package (blueprints from its install SQL, --sql-only: this file builds several; the installer's
 * own path is lifecycle-installer's):
 * a fresh copy is moved into the tenant's database by `tenant seed`, a copy that is stale, half-made
 * or taken by a seed that died is never used (only remade), two seeds never get the same copy, and
 * the copy is remade in the background after each seed.
 */
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { joomlaRelease } from "../harness/joomla-package";
import { passwordVerify, superUser, TestPlatform, type TenantInfo } from "./lifecycle-harness";

describe("blueprint standby", () => {
    let p: TestPlatform;
    let standby: string;

    beforeAll(async () => {
        p = new TestPlatform(inject("mysql"));
        standby = `${p.blueprintDb}_standby`;
        const release = joomlaRelease("6.0.4", path.join(p.root, "release-6.0.4"));
        const r = p.cli(["blueprint", "create", "--sql-only", "--release", release, "--database", p.blueprintDb]);
        expect(r.status, r.stderr).toBe(0);
    });
    afterAll(async () => p?.cleanup());

    const meta = () => JSON.parse(p.cli(["blueprint", "show"]).stdout);
    async function sql<T = any>(database: string, query: string, params: unknown[] = []): Promise<T[]> {
        const c = await p.query(database);
        try {
            return (await c.query<any[]>(query, params))[0] as T[];
        } finally {
            await c.end();
        }
    }
    const tableNames = async (database: string) => (await sql(database, "SHOW TABLES")).map((r) => String(Object.values(r)[0])).sort();
    const marker = async () => (await tableNames(standby)).includes("_mkstandby") ? (await sql(standby, "SELECT id FROM _mkstandby")).map((r) => r.id) : null;

    /** A seeded tenant holds the blueprint's tables under its prefix, and its own super user. */
    async function expectSeeded(t: TenantInfo, admin: ReturnType<typeof superUser>): Promise<void> {
        const bp = (await tableNames(p.blueprintDb)).map((n) => t.prefix + n.slice("bp_".length)).sort();
        expect(await tableNames(t.database)).toEqual(bp);
        const users = await sql(t.database, `SELECT u.username, u.password, u.block FROM ${t.prefix}users u JOIN ${t.prefix}user_usergroup_map m ON m.user_id = u.id WHERE m.group_id = 8`);
        expect(users).toHaveLength(1);
        expect(users[0]).toMatchObject({ username: admin.username, block: 0 });
        expect(passwordVerify(admin.password, users[0].password)).toBe(true);
        const [local] = await sql(t.database, `SELECT params FROM ${t.prefix}extensions WHERE element = 'local' AND folder = 'filesystem'`);
        expect(local.params).toContain(`sites/${t.name}/media/images`);
        expect(p.entry(t.name)?.state).toBe("ready");
    }

    /** The standby is a pristine copy of the current blueprint: its tables, its marker, no tenant in it. */
    async function expectFreshStandby(): Promise<void> {
        expect(await marker()).toEqual([meta().id]);
        expect((await tableNames(standby)).filter((n) => n !== "_mkstandby")).toEqual(await tableNames(p.blueprintDb));
        const su = await sql(standby, "SELECT u.username, u.password, u.block FROM bp_users u JOIN bp_user_usergroup_map m ON m.user_id = u.id AND m.group_id = 8");
        expect(su).toEqual([{ username: "blueprint-admin", password: "", block: 1 }]);
    }

    it("blueprint create makes a fresh standby copy", async () => {
        expect(meta().id).toMatch(/^[0-9a-f]{16}$/);
        await expectFreshStandby();
    });

    it("a seed moves the fresh copy into the tenant's database; a background refill makes the next one", async () => {
        const t = await p.addTenant("alpha", { prefix: "al1_" });
        const admin = superUser("alpha");
        const r = p.seed(t, admin);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("(standby copy)");
        await expectSeeded(t, admin);
        p.waitForStandby();
        await expectFreshStandby();
        const again = p.cli(["blueprint", "standby"]);
        expect(again.status, again.stderr).toBe(0);
        expect(again.stdout).toContain("blueprint standby: fresh");
    });

    it("a copy of an older blueprint is never used: the seed copies from the blueprint, the copy is rebuilt", async () => {
        await sql(standby, "UPDATE _mkstandby SET id = 'an-older-build'");
        const t = await p.addTenant("bravo");
        const admin = superUser("bravo");
        const r = p.seed(t, admin);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).not.toContain("(standby copy)");
        await expectSeeded(t, admin);
        p.waitForStandby();
        await expectFreshStandby();
    });

    it("a half-made copy (a table missing) is never used", async () => {
        await sql(standby, "DROP TABLE bp_content");
        const refill = p.cli(["blueprint", "standby"]);
        expect(refill.stdout).toContain("blueprint standby: rebuilt");
        await expectFreshStandby();
    });

    it("a copy taken by a seed that died before its RENAME is never reused; the re-run seeds the tenant correctly", async () => {
        // What a seed leaves when it dies after claiming: marker gone, the copy holding its tenant's user.
        await sql(standby, "DELETE FROM _mkstandby");
        await sql(standby, "UPDATE bp_users SET username = 'dead-seed-admin', password = 'x', block = 0 WHERE username = 'blueprint-admin'");
        const t = await p.addTenant("charlie");
        const admin = superUser("charlie");
        const r = p.seed(t, admin);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).not.toContain("(standby copy)");
        await expectSeeded(t, admin);
        expect(await sql(t.database, "SELECT id FROM jos_users WHERE username = 'dead-seed-admin'")).toEqual([]);
        p.waitForStandby();
        await expectFreshStandby();
    });

    it("a new blueprint replaces the copy with one of itself", async () => {
        const before = meta().id;
        const r = p.cli(["blueprint", "create", "--sql-only", "--release", path.join(p.root, "release-6.0.4"), "--database", p.blueprintDb]);
        expect(r.status, r.stderr).toBe(0);
        expect(meta().id).not.toBe(before);
        await expectFreshStandby();
    });

    it("a seed waits for a refill in progress (the standby lock) rather than take a copy being made", async () => {
        const lock = path.join(p.root, "run/mokowaas/locks/blueprint-standby.lock");
        const t = await p.addTenant("delta");
        const admin = superUser("delta");
        const holder = spawn("flock", ["-x", lock, "sleep", "2"]);
        const releasedAt = new Promise<number>((res) => holder.on("close", () => res(Date.now())));
        // Wait until the holder really has the lock (flock -n fails while it is held).
        for (let i = 0; spawnSync("flock", ["-n", lock, "true"]).status === 0; i++) {
            expect(i, "the holder took the lock").toBeLessThan(100);
            await new Promise((res) => setTimeout(res, 50));
        }
        const r = await p.cliAsync(["tenant", "seed", t.name], JSON.stringify(admin));
        const seededAt = Date.now();
        expect(r.status, r.stderr).toBe(0);
        // The seed could only finish once the holder had let go of the lock.
        expect(seededAt).toBeGreaterThanOrEqual(await releasedAt);
        expect(r.stdout).toContain("(standby copy)");
        await expectSeeded(t, admin);
        p.waitForStandby();
    });

    it("two concurrent seeds never share a copy: both tenants are complete, each with its own super user", async () => {
        const ts = [await p.addTenant("echo"), await p.addTenant("foxtrot", { prefix: "fx_" })];
        const admins = ts.map((t) => superUser(t.name));
        const runs = await Promise.all(ts.map((t, i) => p.cliAsync(["tenant", "seed", t.name], JSON.stringify(admins[i]))));
        for (const r of runs) expect(r.status, r.stderr).toBe(0);
        expect(runs.filter((r) => r.stdout.includes("(standby copy)")).length).toBeGreaterThanOrEqual(1);
        for (const [i, t] of ts.entries()) await expectSeeded(t, admins[i]);
        p.waitForStandby();
        await expectFreshStandby();
    });
});
