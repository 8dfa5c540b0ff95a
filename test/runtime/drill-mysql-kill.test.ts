/**
 * Drill (issue 14, "database killed"): `kill -9` of MySQL in the middle of `migrate --all
 * --concurrency 4` over 20 tenants upgrading 5.4.5 -> 6.0.4 (Joomla's 13 real update files each),
 * then a restart on the same data folder and a re-run. The re-run must converge: every tenant at
 * the newest file in #__schemas, with exactly the tables, columns, indexes and update-file rows of
 * a reference tenant migrated without the kill; a second re-run does nothing.
 *
 * The moment is made deterministic by parking three tenants, one per migrate child, inside an
 * update file (a test trigger that sleeps, a metadata lock held by the test) and killing once all
 * three are parked: each then has a file half applied, the worst case for per-file bookkeeping.
 * The drill has its own MySQL (the runtime tier's shared one serves the other test files). Figures
 * from a run are in docs/reliability.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Connection } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminConnection, startMySql, startMySqlServer, MYSQLD_PROCESS, type MySqlInfo } from "../../devenv/mysql";
import { alive, stopPid } from "../../devenv/process";
import { phpBin } from "../../devenv/toolchain";
import { removeTenantAccounts } from "../harness/accounts";
import { fixturesDir, layOutRelease, newestSchema } from "../harness/joomla-sql-fixtures";
import { skipWithout } from "../harness/strict";
import { CLI, TestPlatform, type TenantInfo } from "./lifecycle-harness";

const TENANTS = 20;
const CONCURRENCY = 4;
const FROM_SCHEMA = "5.4.0-2025-08-02";
/** Every bounded wait of the drill. */
const PARK_WAIT_MS = 60_000;
const EXIT_WAIT_MS = 60_000;

/**
 * Where three tenants are parked when mysqld dies. The children take every 4th tenant in name order
 * (d01..d20, then "ref"), so d10, d11 and d12 are the third tenant of children 1, 2 and 3: each
 * child has migrated two tenants by then and has two more to go; child 0 runs free.
 */
const PARKED = {
    // 09-17 inserts the 6.0 tour, then its two steps with no NOT EXISTS guard: tour and step 0 committed, step 1 sleeps.
    tourSteps: { tenant: "d10", expectVersion: "6.0.0-2025-09-16", state: "User sleep", info: "drill_parked",
        inFile: "6.0.0-2025-09-17", done: 2, resumedLine: 10 },
    // 09-05: the template's #__extensions row committed, its #__template_styles row sleeps.
    templateStyle: { tenant: "d11", expectVersion: "6.0.0-2025-08-17", state: "User sleep", info: "drill_parked",
        inFile: "6.0.0-2025-09-05", done: 1, resumedLine: 5 },
    // 10-11: the ALTER waits for a metadata lock the test holds (DDL: atomic, so not applied).
    alter: { tenant: "d12", expectVersion: "6.0.0-2025-09-26", state: "Waiting for table metadata lock", info: "ALTER TABLE",
        inFile: "6.0.0-2025-10-11", done: 0, resumedLine: 1 },
} as const;
const PROGRESS_TABLE = "mokowaas_schema_progress";

/** Rows the 5.4.5 -> 6.0.4 files insert or change, compared without ids and timestamps. */
const DATA_TABLES = ["extensions", "template_styles", "mail_templates", "guidedtours", "guidedtour_steps", "menu", "update_sites", "content_types", "history", "schemas"];

interface Figures {
    seedSeconds: number;
    killAfterMs: number;
    exitAfterKillMs: number;
    restartMs: number;
    rerunMs: number;
    secondRerunMs: number;
    atTargetBeforeKill: number;
    midFileAtKill: number;
    notStartedAtKill: number;
}

interface Run {
    status: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

const missing = [
    ...["5.4.5", "6.0.4"].map((v) => (fs.existsSync(path.join(fixturesDir(), v)) ? undefined : `Joomla SQL fixture ${path.join(fixturesDir(), v)} (MOKOWAAS_FIXTURES)`)),
    fs.existsSync("/proc/self/stat") ? undefined : "/proc (the drill finds and kills mysqld by pid)",
];

/**
 * Where the drill's MySQL keeps its data: tmpfs when the machine has one, so that creating 21
 * Joomla databases (76 tables each) costs no disk syncs. A kill -9 of mysqld loses what a process
 * loses on any filesystem (its memory, never the page cache), so crash recovery runs as on disk.
 */
function scratchDir(): string {
    try {
        fs.accessSync("/dev/shm", fs.constants.W_OK);
        return "/dev/shm";
    } catch {
        return os.tmpdir();
    }
}

async function coreVersions(c: Connection, t: TenantInfo): Promise<string[]> {
    const [rows] = await c.query<any[]>(`SELECT s.version_id FROM \`${t.database}\`.${t.prefix}schemas s JOIN \`${t.database}\`.${t.prefix}extensions e
        ON e.extension_id = s.extension_id WHERE e.type = 'file' AND e.element = 'joomla'`);
    return rows.map((r) => String(r.version_id));
}

/**
 * What a migration leaves behind, comparable across tenants: table list, columns and indexes from
 * information_schema (prefix removed), and the rows of the tables the update files touch, without
 * auto-increment ids and temporal columns (a rolled-back insert burns an id; CURRENT_TIMESTAMP
 * differs), a step's tour named by its uid, the tenant's name in its media paths generalized.
 */
async function fingerprint(c: Connection, t: TenantInfo) {
    const strip = (name: string) => name.slice(t.prefix.length);
    const [tables] = await c.query<any[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", [t.database]);
    const [columns] = await c.query<any[]>(`SELECT TABLE_NAME AS t, COLUMN_NAME AS c, ORDINAL_POSITION AS pos, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
        COLUMN_DEFAULT AS def, EXTRA AS extra, COLLATION_NAME AS coll FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, [t.database]);
    const [indexes] = await c.query<any[]>(`SELECT TABLE_NAME AS t, INDEX_NAME AS i, SEQ_IN_INDEX AS seq, COLUMN_NAME AS c, NON_UNIQUE AS nonUnique, SUB_PART AS sub
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, [t.database]);
    const data: Record<string, string[]> = {};
    for (const table of DATA_TABLES) {
        const cols = columns.filter((col) => col.t === t.prefix + table && !/auto_increment/i.test(col.extra) && !/^(datetime|timestamp|date|time)/i.test(col.type)
            && col.c !== "tour_id");
        const extra = table === "guidedtour_steps" ? `, (SELECT g.uid FROM \`${t.database}\`.${t.prefix}guidedtours g WHERE g.id = x.tour_id) AS tour_uid` : "";
        const [rows] = await c.query<any[]>(`SELECT ${cols.map((col) => `x.\`${col.c}\``).join(", ")}${extra} FROM \`${t.database}\`.\`${t.prefix}${table}\` x`);
        // The seed writes the tenant's own media folders into com_media and plg_filesystem_local.
        data[table] = rows.map((r) => JSON.stringify(r).split(`sites/${t.name}/`).join("sites/<tenant>/")).sort();
    }
    return {
        tables: tables.map((r) => strip(r.t)),
        columns: columns.map((r) => ({ ...r, t: strip(r.t) })),
        indexes: indexes.map((r) => ({ ...r, t: strip(r.t) })),
        data,
    };
}

function parseJson(r: Run): any {
    try {
        return JSON.parse(r.stdout);
    } catch {
        throw new Error(`migrate printed no JSON (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>, describeState: () => Promise<string>): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms\n${await describeState()}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

describe.skipIf(skipWithout("database-killed drill (kill -9 MySQL during migrate --all)", missing))("drill: MySQL killed during migrate --all", () => {
    let mysqlDir: string;
    let db: MySqlInfo;
    let p: TestPlatform | undefined;
    let r604: string;
    const tenants: TenantInfo[] = [];
    let ref: TenantInfo;
    let migrate: ChildProcess | undefined;
    const figures: Partial<Figures> = {};

    const mysqldPid = () => Number(fs.readFileSync(path.join(mysqlDir, "mysqld.pid"), "utf8").trim());
    const byName = (name: string) => tenants.find((t) => t.name === name)!;

    /** `migrate --all` as production's CLI runs it, in the background; resolves when it exits. */
    function startMigrate(): { done: Promise<Run>; output: () => string } {
        const child = spawn(phpBin(), [CLI, "migrate", "--all", "--release", r604, "--concurrency", String(CONCURRENCY), "--json"], { env: p!.env() });
        migrate = child;
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const done = new Promise<Run>((resolve) => child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr })));
        return { done, output: () => `exit ${child.exitCode}\n${stdout}\n${stderr}` };
    }

    function bounded(run: Promise<Run>, ms: number, what: string): Promise<Run> {
        return Promise.race([run, new Promise<Run>((_, reject) => setTimeout(() => {
            if (migrate?.pid !== undefined && migrate.exitCode === null) migrate.kill("SIGKILL");
            reject(new Error(`${what} did not exit within ${ms} ms (hang)`));
        }, ms))]);
    }

    beforeAll(async () => {
        mysqlDir = fs.mkdtempSync(path.join(scratchDir(), "mokowaas-drill-mysql-"));
        const started = await startMySql(mysqlDir);
        const { stop: _stop, ...info } = started;
        db = info;
        p = new TestPlatform(db);
        const r545 = layOutRelease("5.4.5", path.join(p.root, "r545"));
        r604 = layOutRelease("6.0.4", path.join(p.root, "r604"));
        expect(p.cli(["blueprint", "create", "--sql-only", "--release", r545, "--database", p.blueprintDb]).status).toBe(0);
        const t0 = Date.now();
        for (let i = 1; i <= TENANTS; i++) {
            const t = await p.addTenant(`d${String(i).padStart(2, "0")}`);
            const s = p.seed(t);
            expect(s.status, s.stderr).toBe(0);
            tenants.push(t);
        }
        // The reference: same blueprint, migrated before the drill with nothing in its way.
        ref = await p.addTenant("ref");
        expect(p.seed(ref).status).toBe(0);
        p.waitForStandby();
        figures.seedSeconds = (Date.now() - t0) / 1000;
        const clean = p.cli(["migrate", "--tenant", "ref", "--release", r604, "--json"]);
        expect(clean.status, clean.stderr).toBe(0);
    }, 240_000);

    afterAll(async () => {
        if (migrate?.pid !== undefined && migrate.exitCode === null && migrate.signalCode === null) migrate.kill("SIGKILL");
        if (p) {
            // Files only: the databases go with the drill's own MySQL.
            if (mysqlDir && fs.existsSync(path.join(mysqlDir, "mysqld.pid")) && alive(mysqldPid(), MYSQLD_PROCESS)) p.waitForStandby();
            spawnSync("chattr", ["-R", "-i", p.root]);
            removeTenantAccounts(p.root);
            fs.rmSync(p.root, { recursive: true, force: true });
        }
        if (mysqlDir) {
            const pidFile = path.join(mysqlDir, "mysqld.pid");
            if (fs.existsSync(pidFile) && alive(mysqldPid(), MYSQLD_PROCESS)) await stopPid(mysqldPid(), "SIGTERM", 30_000);
            fs.rmSync(mysqlDir, { recursive: true, force: true });
        }
        if (figures.rerunMs !== undefined) console.log(`drill-mysql-kill figures: ${JSON.stringify(figures)}`);
    });

    it("kill -9 mid-run: migrate fails cleanly; after a restart a re-run converges every tenant to the reference; a second re-run does nothing", async () => {
        const target = newestSchema(r604);
        const admin = await adminConnection(db);
        // The admin connections die with mysqld: an error event must not become an uncaught exception.
        admin.on("error", () => undefined);
        const mdlHolder = await adminConnection(db, byName(PARKED.alter.tenant).database);
        mdlHolder.on("error", () => undefined);
        let killedAt: number;
        try {
            // Parking points (test-only objects, removed before the re-run).
            const park = (t: TenantInfo, table: string, cond: string) => admin.query(`CREATE TRIGGER \`${t.database}\`.drill_park BEFORE INSERT ON \`${t.database}\`.${t.prefix}${table}
                FOR EACH ROW BEGIN IF ${cond} THEN SET @drill_parked = SLEEP(${PARK_WAIT_MS / 1000 + 30}); END IF; END`);
            await park(byName(PARKED.tourSteps.tenant), "guidedtour_steps", "NEW.title = 'COM_GUIDEDTOURS_TOUR_WHATSNEW_6_0_STEP_1_TITLE'");
            await park(byName(PARKED.templateStyle.tenant), "template_styles", "NEW.template = 'cassiopeia_extended'");
            await mdlHolder.query("START TRANSACTION");
            await mdlHolder.query(`SELECT COUNT(*) FROM ${byName(PARKED.alter.tenant).prefix}history`);

            const started = Date.now();
            const run = startMigrate();
            const processlist = async () => {
                const [rows] = await admin.query<any[]>("SHOW FULL PROCESSLIST");
                return rows;
            };
            await until("three tenants parked inside an update file", PARK_WAIT_MS, async () => {
                if (migrate?.exitCode !== null) throw new Error(`migrate ended before the kill:\n${run.output()}`);
                const rows = await processlist();
                const parked = Object.values(PARKED).every((k) => rows.some((r) => r.db === byName(k.tenant).database && r.State === k.state
                    && String(r.Info ?? "").includes(k.info)));
                return parked ? true : undefined;
            }, async () => `processlist: ${JSON.stringify(await processlist())}`);

            const pid = mysqldPid();
            expect(alive(pid, MYSQLD_PROCESS)).toBe(true);
            process.kill(pid, "SIGKILL");
            killedAt = Date.now();
            figures.killAfterMs = killedAt - started;
            await until("mysqld gone after kill -9", 10_000, async () => (alive(pid) ? undefined : true), async () => `pid ${pid} still alive`);

            // The interrupted run: bounded, non-zero, every failure names the lost server.
            const killedRun = await bounded(run.done, EXIT_WAIT_MS, "migrate --all after kill -9 of mysqld");
            figures.exitAfterKillMs = Date.now() - killedAt;
            expect(killedRun.signal).toBeNull();
            expect(killedRun.status, killedRun.stderr).toBe(1);
            const out = parseJson(killedRun);
            const failed = out.tenants.filter((r: any) => r.status === "failed");
            expect(failed.length).toBe(out.failed);
            expect(failed.length).toBeGreaterThan(0);
            for (const r of failed) {
                expect(r.error.error, JSON.stringify(r)).toMatch(/gone away|Lost connection|Connection refused|Can't connect|cannot connect/i);
            }
            for (const k of Object.values(PARKED)) {
                const r = out.tenants.find((x: any) => x.tenant === k.tenant);
                expect(r.status).toBe("failed");
                expect(r.error.error, JSON.stringify(r)).toMatch(/gone away|Lost connection/i);
            }
        } finally {
            await admin.end().catch(() => undefined);
            await mdlHolder.end().catch(() => undefined);
        }

        // Restart on the same data folder (crash recovery) and port; the registry still points there.
        const t0 = Date.now();
        const srv = await startMySqlServer(mysqlDir, { port: db.port });
        figures.restartMs = Date.now() - t0;
        expect(srv.pid).not.toBe(0);
        const c = await adminConnection(db);
        try {
            // The kill landed mid-run: some tenants done, some untouched, the parked ones inside a file.
            const versions = new Map<string, string[]>();
            for (const t of tenants) versions.set(t.name, await coreVersions(c, t));
            const at = (v: string) => tenants.filter((t) => versions.get(t.name)!.length === 1 && versions.get(t.name)![0] === v).length;
            figures.atTargetBeforeKill = at(target);
            figures.notStartedAtKill = at(FROM_SCHEMA);
            figures.midFileAtKill = TENANTS - figures.atTargetBeforeKill - figures.notStartedAtKill;
            expect(figures.atTargetBeforeKill).toBeGreaterThan(0);
            expect(figures.notStartedAtKill).toBeGreaterThan(0);
            for (const k of Object.values(PARKED)) expect(versions.get(k.tenant)).toEqual([k.expectVersion]);
            const steps = byName(PARKED.tourSteps.tenant);
            const [half] = await c.query<any[]>(`SELECT COUNT(*) AS n FROM \`${steps.database}\`.jos_guidedtour_steps s JOIN \`${steps.database}\`.jos_guidedtours g
                ON g.id = s.tour_id WHERE g.uid = 'joomla-whatsnew-6-0'`);
            expect(half[0].n, "09-17 half applied: the tour and step 0 committed before the kill").toBe(1);
            const tpl = byName(PARKED.templateStyle.tenant);
            const [ext] = await c.query<any[]>(`SELECT COUNT(*) AS n FROM \`${tpl.database}\`.jos_extensions WHERE element = 'cassiopeia_extended'`);
            expect(ext[0].n, "09-05 half applied").toBe(1);

            // Each parked tenant's progress row says how far into its file it got.
            for (const k of Object.values(PARKED)) {
                const t = byName(k.tenant);
                const [rows] = await c.query<any[]>(`SELECT version_id, statements_done FROM \`${t.database}\`.${t.prefix}${PROGRESS_TABLE}`);
                expect(rows.map((r) => [r.version_id, r.statements_done]), t.name).toEqual([[k.inFile, k.done]]);
            }

            for (const k of [PARKED.tourSteps, PARKED.templateStyle]) await c.query(`DROP TRIGGER \`${byName(k.tenant).database}\`.drill_park`);

            // The re-run converges.
            const r0 = Date.now();
            const rerun = spawnSync(phpBin(), [CLI, "migrate", "--all", "--release", r604, "--concurrency", String(CONCURRENCY), "--json"],
                { env: p!.env(), encoding: "utf8", timeout: 120_000 });
            figures.rerunMs = Date.now() - r0;
            expect(rerun.status, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
            const again = parseJson({ status: rerun.status, signal: rerun.signal, stdout: rerun.stdout, stderr: rerun.stderr });
            expect(again.failed).toBe(0);
            expect(again.tenants.filter((r: any) => r.status === "migrated").length).toBe(TENANTS - figures.atTargetBeforeKill);
            for (const k of Object.values(PARKED)) {
                const r = again.tenants.find((x: any) => x.tenant === k.tenant);
                expect(r.schemas[0].resumed, k.tenant).toEqual({ file: `${k.inFile}.sql`, line: k.resumedLine });
            }

            const expected = await fingerprint(c, ref);
            expect(await coreVersions(c, ref)).toEqual([target]);
            expect(expected.tables.some((n) => /mokowaas/.test(n)), "no platform table left in a migrated tenant").toBe(false);
            for (const t of tenants) {
                expect(await coreVersions(c, t), t.name).toEqual([target]);
                const got = await fingerprint(c, t);
                expect(got.tables, `${t.name}: tables`).toEqual(expected.tables);
                expect(got.columns, `${t.name}: columns`).toEqual(expected.columns);
                expect(got.indexes, `${t.name}: indexes`).toEqual(expected.indexes);
                for (const table of DATA_TABLES) expect(got.data[table], `${t.name}: rows of ${table}`).toEqual(expected.data[table]);
            }

            // A second re-run has nothing to do.
            const s0 = Date.now();
            const second = spawnSync(phpBin(), [CLI, "migrate", "--all", "--release", r604, "--concurrency", String(CONCURRENCY), "--json"],
                { env: p!.env(), encoding: "utf8", timeout: 120_000 });
            figures.secondRerunMs = Date.now() - s0;
            expect(second.status, second.stderr).toBe(0);
            const third = parseJson({ status: second.status, signal: second.signal, stdout: second.stdout, stderr: second.stderr });
            expect(third.tenants.map((r: any) => [r.tenant, r.status, r.schemas[0].applied])).toEqual(
                [...tenants, ref].map((t) => [t.name, "up-to-date", []]));
        } finally {
            await c.end();
        }
    }, 180_000);

    it("on resume, only the statement that was running when the run stopped may find its DDL already applied", async () => {
        // The state a kill between an ALTER's commit and its progress row leaves (a window too
        // narrow to hit with a real kill): the column exists, the row says the ALTER was not done.
        const file = "6.0.5-2026-01-10.sql";
        const sql = "ALTER TABLE `#__content` ADD COLUMN `drill_flag` TINYINT NOT NULL DEFAULT 0;\nINSERT INTO `#__drill_log` (`v`) VALUES ('once');\n";
        const r605 = layOutRelease("6.0.4", path.join(p!.root, "r605"), { [file]: sql });
        const sha1 = crypto.createHash("sha1").update(sql).digest("hex");
        const [resumed, fresh] = [byName("d01"), byName("d02")];
        const c = await adminConnection(db);
        try {
            for (const t of [resumed, fresh]) {
                const q = (x: string) => `\`${t.database}\`.${t.prefix}${x}`;
                await c.query(`CREATE TABLE ${q("drill_log")} (v varchar(10))`);
                await c.query(`ALTER TABLE ${q("content")} ADD COLUMN drill_flag TINYINT NOT NULL DEFAULT 0`);
            }
            const q = (x: string) => `\`${resumed.database}\`.${resumed.prefix}${x}`;
            await c.query(`CREATE TABLE ${q(PROGRESS_TABLE)} (extension_id INT NOT NULL PRIMARY KEY, version_id VARCHAR(100) NOT NULL, file_sha1 CHAR(40) NOT NULL, statements_done INT NOT NULL, last_error TEXT NULL)`);
            await c.query(`INSERT INTO ${q(PROGRESS_TABLE)} SELECT extension_id, '6.0.5-2026-01-10', ?, 0, NULL FROM ${q("extensions")} WHERE type = 'file' AND element = 'joomla'`, [sha1]);

            const ok = p!.cli(["migrate", "--tenant", resumed.name, "--release", r605, "--json"]);
            expect(ok.status, ok.stderr).toBe(0);
            const s = JSON.parse(ok.stdout).tenants[0].schemas[0];
            expect(s).toMatchObject({ applied: ["6.0.5-2026-01-10"], resumed: { file, line: 1 }, version: "6.0.5-2026-01-10" });
            expect(s.toleratedFailures).toEqual([{ file, line: 1, error: expect.stringMatching(/^already applied before the interruption: Duplicate column name 'drill_flag'/) }]);
            const [log] = await c.query<any[]>(`SELECT v FROM ${q("drill_log")}`);
            expect(log).toEqual([{ v: "once" }]);
            const [left] = await c.query<any[]>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [resumed.database, resumed.prefix + PROGRESS_TABLE]);
            expect(left[0].n, "the progress table is dropped when the run completes").toBe(0);

            // Without a progress row the same ALTER was never started by the migrator: its error is real.
            const bad = p!.cli(["migrate", "--tenant", fresh.name, "--release", r605, "--json"]);
            expect(bad.status).toBe(1);
            expect(JSON.parse(bad.stdout).tenants[0].error).toMatchObject({ file, line: 1, error: expect.stringMatching(/Duplicate column name 'drill_flag'/) });
            // Now it has a row, marked failed: the statement did not take effect, so the rule still does not apply.
            const [row] = await c.query<any[]>(`SELECT statements_done, last_error FROM \`${fresh.database}\`.${fresh.prefix}${PROGRESS_TABLE}`);
            expect(row).toEqual([{ statements_done: 0, last_error: expect.stringMatching(/Duplicate column name 'drill_flag'/) }]);
            const again = p!.cli(["migrate", "--tenant", fresh.name, "--release", r605, "--json"]);
            expect(again.status).toBe(1);
            expect(JSON.parse(again.stdout).tenants[0].error).toMatchObject({ file, line: 1, error: expect.stringMatching(/Duplicate column name 'drill_flag'/) });
        } finally {
            await c.end();
        }
    }, 60_000);
});
