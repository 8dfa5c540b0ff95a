/**
 * Blueprint and seeding against the real MySQL with the real Joomla 6.0.4 package: the blueprint is
 * a fresh install by Joomla's own CLI installer, each tenant gets its own super user, and a live
 * database is never seeded over.
 */
import { phpBin } from "../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newestSchema } from "../harness/joomla-sql-fixtures";
import { joomlaRelease } from "../harness/joomla-package";
import { passwordVerify, superUser, TestPlatform, type TenantInfo } from "./lifecycle-harness";

describe("blueprint and tenant seed", () => {
    let p: TestPlatform;

    /** A refused seed changed nothing: no table, and the tenant is still provisioning. */
    const expectUntouched = async (t: TenantInfo) => {
        const c = await p.query(t.database);
        try {
            const [tables] = await c.query<any[]>("SHOW TABLES");
            expect(tables).toHaveLength(0);
        } finally {
            await c.end();
        }
        expect(p.entry(t.name)?.state).toBe("provisioning");
    };
    let release: string;
    let acme: TenantInfo;
    let globex: TenantInfo;
    const admins = { acme: superUser("acme"), globex: superUser("globex") };

    beforeAll(async () => {
        p = new TestPlatform(inject("mysql"));
        release = joomlaRelease("6.0.4", path.join(p.root, "release-6.0.4"));
        acme = await p.addTenant("acme");
        globex = await p.addTenant("globex", { prefix: "gx7_" });
    });
    afterAll(async () => p?.cleanup());

    it("builds the blueprint with Joomla's own installer, recording the core schema version", async () => {
        const r = p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toContain("running the Joomla installer in a throwaway copy");
        const meta = JSON.parse(p.cli(["blueprint", "show"]).stdout);
        expect(meta).toMatchObject({ database: p.blueprintDb, method: "installer", joomlaVersion: "6.0.4", schemaVersion: newestSchema(release) });
        const c = await p.query(p.blueprintDb);
        try {
            const [rows] = await c.query<any[]>(
                "SELECT s.version_id, e.manifest_cache FROM bp_schemas s JOIN bp_extensions e ON e.extension_id = s.extension_id WHERE e.element = 'joomla' AND e.type = 'file'");
            expect(rows).toHaveLength(1);
            expect(rows[0].version_id).toBe("6.0.1-2025-10-29");
            expect(JSON.parse(rows[0].manifest_cache).version).toBe("6.0.4");
            // `#__` inside quoted data stays as Joomla writes it (its prefix replacement skips strings).
            const [ct] = await c.query<any[]>("SELECT `table` FROM bp_content_types WHERE type_alias = 'com_content.article'");
            expect(ct[0].table).toContain('"dbtable":"#__content"');
            const [su] = await c.query<any[]>("SELECT u.block, u.password FROM bp_users u JOIN bp_user_usergroup_map m ON m.user_id = u.id AND m.group_id = 8");
            expect(su).toEqual([{ block: 1, password: "" }]);
        } finally {
            await c.end();
        }
    });

    it("seeds two tenants, each with its own super user whose password verifies, and marks them ready", async () => {
        for (const t of [acme, globex]) {
            expect(p.entry(t.name)?.state).toBe("provisioning");
            const r = p.seed(t, admins[t.name as "acme" | "globex"]);
            expect(r.status, r.stderr).toBe(0);
            expect(r.stdout + r.stderr).not.toContain(admins[t.name as "acme" | "globex"].password);
            expect(p.entry(t.name)?.state).toBe("ready");
        }
        for (const t of [acme, globex]) {
            const admin = admins[t.name as "acme" | "globex"];
            const c = await p.query(t.database);
            try {
                const [users] = await c.query<any[]>(
                    `SELECT u.username, u.email, u.password, u.block FROM ${t.prefix}users u JOIN ${t.prefix}user_usergroup_map m ON m.user_id = u.id WHERE m.group_id = 8`);
                expect(users).toHaveLength(1);
                expect(users[0]).toMatchObject({ username: admin.username, email: admin.email, block: 0 });
                expect(passwordVerify(admin.password, users[0].password)).toBe(true);
                expect(passwordVerify(admins.acme.password === admin.password ? admins.globex.password : admins.acme.password, users[0].password)).toBe(false);
                const [media] = await c.query<any[]>(`SELECT element, params FROM ${t.prefix}extensions WHERE element IN ('local', 'com_media') ORDER BY element`);
                expect(JSON.parse(media[0].params)).toMatchObject({ image_path: `sites/${t.name}/media/images`, file_path: `sites/${t.name}/media/files` });
                expect(media[1].params).toContain(`sites/${t.name}/media/images`);
                const [tables] = await c.query<any[]>("SHOW TABLES");
                expect(tables.length).toBeGreaterThan(70);
                expect(tables.every((r: any) => String(Object.values(r)[0]).startsWith(t.prefix))).toBe(true);
            } finally {
                await c.end();
            }
        }
    });

    it("refuses to seed a database that already holds tables, and changes nothing", async () => {
        const c = await p.query(acme.database);
        try {
            await c.query(`UPDATE ${acme.prefix}users SET name = 'Live Admin' WHERE username = ?`, [admins.acme.username]);
            const r = p.seed(acme, superUser("acme"));
            expect(r.status).toBe(6);
            expect(r.stderr).toMatch(/already holds \d+ table\(s\).*refusing to seed over a live site/);
            const [rows] = await c.query<any[]>(`SELECT name, password FROM ${acme.prefix}users WHERE username = ?`, [admins.acme.username]);
            expect(rows[0].name).toBe("Live Admin");
            expect(passwordVerify(admins.acme.password, rows[0].password)).toBe(true);
        } finally {
            await c.end();
        }
    });

    it("rejects a bad super user on stdin with the field named, before touching anything", async () => {
        const t = await p.addTenant("initech");
        const r = p.seed(t, { username: "x", email: "not-an-email", password: "short" });
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("username:");
        expect(r.stderr).toContain("email:");
        expect(r.stderr).toContain("password: must be at least 12 characters");
        await expectUntouched(t);
    });

    it("finishes a seed that died half-way: staging tables are dropped and the copy runs again", async () => {
        const t = await p.addTenant("umbrella");
        const c = await p.query(t.database);
        try {
            await c.query(`CREATE TABLE _mkseed_${t.prefix}users (id int)`);
            const r = p.seed(t);
            expect(r.status, r.stderr).toBe(0);
            const [tables] = await c.query<any[]>("SHOW TABLES LIKE '\\_mkseed%'");
            expect(tables).toHaveLength(0);
        } finally {
            await c.end();
        }
    });

    describe("a super user sent as a bcrypt hash (passwordHash, what the control plane sends)", () => {
        // No bcrypt but PHP's is installed (no node package, no htpasswd): PHP's $2y$ rewritten to
        // $2a$, the prefix Go's bcrypt (Pulumi's random provider) writes; the algorithm is the same.
        const goStyleHash = (password: string): string => {
            const r = spawnSync(phpBin(), ["-r", 'echo password_hash(stream_get_contents(STDIN), PASSWORD_BCRYPT, ["cost" => 10]);'], { input: password, encoding: "utf8" });
            if (r.status !== 0 || !r.stdout.startsWith("$2y$10$")) throw new Error(`php password_hash failed: ${r.stderr}`);
            return "$2a$" + r.stdout.slice(4);
        };
        const seedRaw = (t: TenantInfo, admin: Record<string, unknown>) => p.cli(["tenant", "seed", t.name], JSON.stringify(admin));

        it("stores the $2a$ hash as given, and PHP's password_verify accepts it with the password", async () => {
            const t = await p.addTenant("hooli");
            const { username, email, password } = superUser("hooli");
            const passwordHash = goStyleHash(password);
            const r = seedRaw(t, { username, email, passwordHash });
            expect(r.status, r.stderr).toBe(0);
            expect(r.stdout + r.stderr).not.toContain(passwordHash);
            expect(p.entry("hooli")?.state).toBe("ready");
            const c = await p.query(t.database);
            try {
                const [users] = await c.query<any[]>(`SELECT u.username, u.password FROM ${t.prefix}users u JOIN ${t.prefix}user_usergroup_map m ON m.user_id = u.id WHERE m.group_id = 8`);
                expect(users).toEqual([{ username, password: passwordHash }]);
                expect(passwordVerify(password, users[0].password)).toBe(true);
                expect(passwordVerify(password + "x", users[0].password)).toBe(false);
            } finally {
                await c.end();
            }
        });

        it("rejects a malformed hash with exit 3, never echoing it, and changes nothing", async () => {
            const t = await p.addTenant("piedpiper");
            const good = goStyleHash("correct horse battery staple");
            const bad: unknown[] = [
                good.slice(0, -1), // 52 characters after the cost
                good + "A", // 54
                good + "\n", // trailing newline
                "$2a$03$" + good.slice(7), // cost below 04
                "$2a$32$" + good.slice(7), // cost above 31
                "$2x$10$" + good.slice(7), // not a bcrypt variant PHP verifies
                "$2a$1$" + good.slice(7), // one-digit cost
                good.slice(0, 20) + "!" + good.slice(21), // a character outside ./A-Za-z0-9
                "$argon2id$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", // not bcrypt
                "",
                42,
            ];
            for (const passwordHash of bad) {
                const r = seedRaw(t, { username: "admin-pp", email: "admin@pp.example.test", passwordHash });
                expect(r.status, String(passwordHash)).toBe(3);
                expect(r.stderr).toContain("passwordHash: must be a bcrypt hash");
                if (typeof passwordHash === "string" && passwordHash.length > 0) expect(r.stderr).not.toContain(passwordHash.trim());
            }
            await expectUntouched(t);
        });

        it("requires exactly one of password and passwordHash (exit 3, nothing changed)", async () => {
            const t = await p.addTenant("aviato");
            const { username, email, password } = superUser("aviato");
            for (const admin of [{ username, email, password, passwordHash: goStyleHash(password) }, { username, email }]) {
                const r = seedRaw(t, admin);
                expect(r.status, JSON.stringify(Object.keys(admin))).toBe(3);
                expect(r.stderr).toContain("password, passwordHash: send exactly one");
                expect(r.stderr).not.toContain(password);
            }
            await expectUntouched(t);
        });
    });
});
