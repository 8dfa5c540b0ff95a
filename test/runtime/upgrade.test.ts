/**
 * Releases side by side and tenant upgrades (`mokowaas release list|rm`, `mokowaas upgrade`) on
 * real Joomla 6.0.3, 6.0.4 and 6.1.0 from the verified packages, through real Caddy, PHP-FPM,
 * MySQL and Borg. Three tenants seeded on 6.0.3, each with an article and a changed Global
 * Configuration, move to 6.0.4 and then 6.1.0; one, whose `#__content_types` (a table 6.1.0's
 * update SQL writes) was damaged first, fails, rolls back to 6.0.4 with its pre-upgrade archive and
 * still serves its article; the others end with the schema (columns and indexes) and extension
 * versions of a fresh 6.1.0 install; the failed one upgrades once repaired.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { httpsGet } from "../../devenv/caddy";
import { adminConnection, type MySqlInfo } from "../../devenv/mysql";
import { writePassphrase } from "../../devenv/borg";
import { check, makeTraversable, mokowaas, mokowaasAsync } from "../../devenv/server-cli";
import { addJoomlaTenant, platformInit, putEntry, startDataPlane, type DataPlane, type TenantEntry } from "../harness/data-plane";
import { joomlaRelease } from "../harness/joomla-package";

const TENANTS = ["alpha", "beta", "gamma"] as const;
type T = (typeof TENANTS)[number];
const FAILING: T = "gamma";

let dir: string;
let plane: DataPlane;
let db: MySqlInfo;
const entries = {} as Record<T, TenantEntry>;

const releasesDir = () => path.join(plane.root, "srv/mokowaas/releases");
const dev = (t: T) => `dev.${t}.example.com`;
const articleTitle = (t: T) => `Article of ${t} before the upgrades`;

async function sql<R = any>(t: string, query: string, params: unknown[] = []): Promise<R> {
    const name = (TENANTS as readonly string[]).includes(t) ? entries[t as T].db.name : t;
    const c = await adminConnection(db, name);
    try {
        return (await c.query(query, params))[0] as R;
    } finally {
        await c.end();
    }
}

/** A published article in Uncategorised, as Joomla's editor stores one; returns its id. */
async function addArticle(t: T): Promise<number> {
    const p = entries[t].db.prefix;
    const r: any = await sql(t, `INSERT INTO ${p}content (title, alias, introtext, \`fulltext\`, state, catid, created, created_by, modified, publish_up,
        images, urls, attribs, metakey, metadesc, access, metadata, language) VALUES (?, ?, ?, '', 1, 2, NOW(), 0, NOW(), NOW(), '{}', '{}', '{}', '', '', 1, '{}', '*')`,
    [articleTitle(t), `article-of-${t}`, `<p>Body of ${t}'s article.</p>`]);
    return r.insertId as number;
}
const articleIds = {} as Record<T, number>;

async function servesArticle(t: T): Promise<void> {
    let page = await httpsGet(plane.caddy, dev(t), `/index.php?option=com_content&view=article&id=${articleIds[t]}&catid=2`);
    // Joomla's SEF URLs: the query URL redirects to the article's own path on the same host.
    const location = page.headers.location;
    if (page.status === 301 && typeof location === "string") page = await httpsGet(plane.caddy, dev(t), ((u) => u.pathname + u.search)(new URL(location, `https://${dev(t)}/`)));
    expect(page.status, `${t}: ${page.body.slice(0, 400)}`).toBe(200);
    expect(page.body).toContain(articleTitle(t));
    expect(page.body).toContain(entries[t].siteName);
}

/** The Joomla version a tenant's host is served from: its release's own manifest, through Caddy's file server. */
async function servedVersion(t: T): Promise<string> {
    const r = await httpsGet(plane.caddy, dev(t), "/administrator/manifests/files/joomla.xml");
    expect(r.status).toBe(200);
    return /<version>([^<]+)<\/version>/.exec(r.body)?.[1] ?? "?";
}

/** `upgrade --json`; `why` (its whole output) is what a failed expectation shows. */
function upgrade(t: T, release: string) {
    const r = mokowaas(plane.root, ["upgrade", t, "--release", release, "--json"]);
    return { status: r.status, report: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, why: `${r.stdout}\n${r.stderr}` };
}

function releaseList(): { id: string; version: string; current: boolean; tenants: string[] }[] {
    const r = mokowaas(plane.root, ["release", "list", "--json"]);
    check(r, "release list");
    return JSON.parse(r.stdout);
}

const settingsOf = (t: T) => JSON.parse(fs.readFileSync(path.join(plane.root, "srv/mokowaas/tenants", t, "config/settings.json"), "utf8"));

/** Columns and indexes of every table, without the table prefix: what "the same schema" means here. */
async function schemaOf(database: string, prefix: string): Promise<{ columns: string[]; indexes: string[] }> {
    const c = await adminConnection(db);
    try {
        const [cols]: any = await c.query(`SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE ty, IS_NULLABLE n, COLUMN_DEFAULT d, EXTRA x, COLLATION_NAME co
            FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`, [database]);
        const [idx]: any = await c.query(`SELECT TABLE_NAME t, INDEX_NAME i, SEQ_IN_INDEX s, COLUMN_NAME c, NON_UNIQUE u, SUB_PART p
            FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?`, [database]);
        const strip = (name: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : `!${name}`);
        return {
            columns: cols.map((r: any) => `${strip(r.t)}.${r.c} ${r.ty} null=${r.n} default=${r.d} ${r.x} ${r.co}`).sort(),
            indexes: idx.map((r: any) => `${strip(r.t)}.${r.i}#${r.s} ${r.c} unique=${r.u === 0} part=${r.p}`).sort(),
        };
    } finally {
        await c.end();
    }
}

/** Each extension's manifest version: "type/folder/element/client" => version. */
async function extensionVersions(database: string, prefix: string): Promise<Record<string, string>> {
    const c = await adminConnection(db, database);
    try {
        const [rows]: any = await c.query(`SELECT type, folder, element, client_id, manifest_cache FROM ${prefix}extensions`);
        return Object.fromEntries(rows.map((r: any) => [`${r.type}/${r.folder}/${r.element}/${r.client_id}`, r.manifest_cache ? JSON.parse(r.manifest_cache).version : ""]));
    } finally {
        await c.end();
    }
}

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-upgrade-"));
    db = inject("mysql");
    plane = await startDataPlane(dir, db, { joomla: "6.0.3" });
    writePassphrase(plane.root);
    // `upgrade` verifies through this server's own web server: the test Caddy's port and CA.
    platformInit(plane.root, db, plane.fpmDir, ["--web-url", `https://127.0.0.1:${plane.caddy.httpsPort}`, "--ca-file", plane.caddy.caFile]);
    // The newer releases laid down beside 6.0.3 as the platform stack does (served copy bootstrapped; .dist as published).
    for (const v of ["6.0.4", "6.1.0"]) {
        const rel = path.join(releasesDir(), `joomla-${v}`);
        joomlaRelease(v, rel, { installer: false });
        joomlaRelease(v, `${rel}.dist`);
        makeTraversable(rel);
        check(mokowaas(plane.root, ["release", "bootstrap", rel]), `release bootstrap ${v}`);
    }
    for (const t of TENANTS) {
        entries[t] = (await addJoomlaTenant(plane.root, db, t, { siteName: `${t[0].toUpperCase()}${t.slice(1)} Corp` })).entry;
        articleIds[t] = await addArticle(t);
        // Its own Global Configuration, as the administrator's form or Joomla's CLI writes it.
        check(mokowaas(plane.root, ["joomla", t, "--", "config:set", "list_limit=7", "MetaDesc=Meta of " + t]), `config:set ${t}`);
    }
}, 900_000);

afterAll(async () => {
    await plane?.stop();
    const c = await adminConnection(db);
    try {
        await c.query("DROP DATABASE IF EXISTS `fresh_610_upg`");
    } finally {
        await c.end();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("releases side by side", () => {
    test("every tenant is pinned to the current release; release list shows who uses what; a used release is not removed", async () => {
        for (const t of TENANTS) await servesArticle(t);
        const list = releaseList();
        expect(list.map((r) => [r.id, r.version, r.current, r.tenants])).toEqual([
            ["joomla-6.0.3", "6.0.3", true, ["alpha", "beta", "gamma"]],
            ["joomla-6.0.4", "6.0.4", false, []],
            ["joomla-6.1.0", "6.1.0", false, []],
        ]);
        const rm = mokowaas(plane.root, ["release", "rm", "joomla-6.0.3"]);
        expect(rm.status).toBe(6);
        expect(rm.stderr).toContain("current");
        expect(fs.existsSync(path.join(releasesDir(), "joomla-6.0.3"))).toBe(true);
        expect(mokowaas(plane.root, ["release", "rm", "../etc"]).status).toBe(3);
        expect(mokowaas(plane.root, ["release", "rm", "joomla-9.9.9"]).status).toBe(4);
    });

    test("the pre-upgrade archive failing skips the tenant (exit 7) and changes nothing", async () => {
        const pass = path.join(plane.root, "etc/mokowaas/borg.passphrase");
        fs.renameSync(pass, `${pass}.away`);
        try {
            const r = upgrade("alpha", "joomla-6.0.4");
            expect(r.status, r.why).toBe(7);
            expect(r.report).toMatchObject({ status: "skipped", step: "archive" });
        } finally {
            fs.renameSync(`${pass}.away`, pass);
        }
        expect(releaseList()[0].tenants).toContain("alpha");
        expect(await servedVersion("alpha")).toBe("6.0.3");
        await servesArticle("alpha");
    });
});

describe("6.0.3 -> 6.0.4 -> 6.1.0", () => {
    test("each tenant moves to 6.0.4 alone: the others stay on 6.0.3 meanwhile, each served from its own release", async () => {
        const first = upgrade("alpha", "joomla-6.0.4");
        expect(first.status, first.why).toBe(0);
        expect(first.report).toMatchObject({ status: "upgraded", from: "joomla-6.0.3", to: "joomla-6.0.4" });
        expect(first.report.archive).toMatch(/^alpha-pre-upgrade-\d{8}T/);
        expect(await servedVersion("alpha")).toBe("6.0.4");
        expect(await servedVersion("beta")).toBe("6.0.3");
        for (const t of ["beta", "gamma"] as const) {
            const r = upgrade(t, "joomla-6.0.4");
            expect(r.status, r.why).toBe(0);
        }
        for (const t of TENANTS) {
            expect(await servedVersion(t)).toBe("6.0.4");
            await servesArticle(t);
            expect((await extensionVersions(entries[t].db.name, entries[t].db.prefix))["file//joomla/0"]).toBe("6.0.4");
        }
        expect(releaseList().map((r) => [r.id, r.tenants])).toEqual([["joomla-6.0.3", []], ["joomla-6.0.4", ["alpha", "beta", "gamma"]], ["joomla-6.1.0", []]]);
        expect(upgrade("alpha", "joomla-6.0.4")).toMatchObject({ status: 0, report: { status: "up-to-date" } });
    }, 600_000);

    test("to 6.1.0: hosts answer 503 maintenance only while the database is updated; a held tenant stays; the fleet run stops at a damaged tenant, which rolls back and serves its article", async () => {
        // gamma's #__content_types loses a column that 6.1.0-2026-03-10.sql inserts into.
        await sql(FAILING, `ALTER TABLE ${entries[FAILING].db.prefix}content_types DROP COLUMN router`);
        // Watch alpha's dev host while it upgrades: it must answer 503 "maintenance" at some point, never a PHP error.
        const seen = new Set<number>();
        let watching = true;
        const watcher = (async () => {
            while (watching) {
                const r = await httpsGet(plane.caddy, dev("alpha"), "/").catch(() => ({ status: 0, body: "" }));
                seen.add(r.status === 503 && /being updated/.test(r.body) ? 5031 : r.status);
                await new Promise((f) => setTimeout(f, 50));
            }
        })();
        const alpha = await mokowaasAsync(plane.root, ["upgrade", "alpha", "--release", "joomla-6.1.0", "--json"]);
        watching = false;
        await watcher;
        expect(alpha.status, alpha.stdout + alpha.stderr).toBe(0);
        const report = JSON.parse(alpha.stdout);
        expect(report.status).toBe("upgraded");
        expect(report.database.core.applied.length).toBeGreaterThan(0);
        expect(report.maintenanceSeconds).toBeGreaterThan(0);
        expect([...seen].every((s) => s === 200 || s === 5031), [...seen].join(",")).toBe(true);
        expect(seen.has(5031)).toBe(true);

        // A tenant held on 6.0.4 by its YAML (the entry's holdRelease) is moved nowhere else.
        check(putEntry(plane.root, { ...entries.beta, holdRelease: "joomla-6.0.4" }), "hold beta");
        const held = upgrade("beta", "joomla-6.1.0");
        expect(held.status, held.why).toBe(6);
        expect(held.why).toContain("held on joomla-6.0.4");
        check(putEntry(plane.root, entries.beta), "release beta");

        // The rest as the platform stack moves a fleet: beta the canary, then gamma; gamma fails, so the run stops there.
        const fleet = mokowaas(plane.root, ["upgrade", "--all", "--release", "joomla-6.1.0", "--canary", "1", "--max-failures", "0", "--json"]);
        expect(fleet.status, fleet.stdout + fleet.stderr).toBe(1);
        const summary = JSON.parse(fleet.stdout);
        expect(summary).toMatchObject({ release: "joomla-6.1.0", stopped: true, summary: { "up-to-date": 1, upgraded: 1, "rolled-back": 1 } });
        expect(summary.maintenanceSeconds.max).toBeGreaterThan(0);
        const failed = { report: summary.tenants.find((r: any) => r.tenant === FAILING) };
        expect(failed.report).toMatchObject({ status: "rolled-back", step: "database", from: "joomla-6.0.4", servingAgain: true });
        expect(failed.report.error).toContain("6.1.0-2026-03-10.sql");
        expect(failed.report.error).toMatch(/router/);
        expect(await servedVersion(FAILING)).toBe("6.0.4");
        await servesArticle(FAILING);
        expect(settingsOf(FAILING)).toMatchObject({ list_limit: "7", MetaDesc: `Meta of ${FAILING}` });
        // The archive put back the database as it was: none of 6.1.0's files recorded, its first statement undone.
        const schema: any[] = await sql(FAILING, `SELECT version_id FROM ${entries[FAILING].db.prefix}schemas`);
        expect(schema.map((r) => r.version_id)).toEqual(["6.0.1-2025-10-29"]);
        const tpl: any[] = await sql(FAILING, `SELECT params FROM ${entries[FAILING].db.prefix}mail_templates WHERE template_id = 'com_actionlogs.notification'`);
        expect(tpl[0].params).not.toContain("ip_address");
        expect(releaseList().map((r) => [r.id, r.tenants])).toContainEqual(["joomla-6.0.4", [FAILING]]);
        const entry = JSON.parse(mokowaas(plane.root, ["registry", "list"]).stdout).find((e: any) => e.tenant === FAILING);
        expect(entry).toMatchObject({ state: "ready", release: "joomla-6.0.4" });
    }, 600_000);

    test("the upgraded tenants serve their articles on 6.1.0 with a fresh 6.1.0 install's schema and extension versions", async () => {
        check(mokowaas(plane.root, ["blueprint", "create", "--release", path.join(releasesDir(), "joomla-6.1.0.dist"), "--database", "fresh_610_upg"]), "fresh 6.1.0 install");
        const fresh = await schemaOf("fresh_610_upg", "bp_");
        const freshVersions = await extensionVersions("fresh_610_upg", "bp_");
        expect(freshVersions["file//joomla/0"]).toBe("6.1.0");
        for (const t of ["alpha", "beta"] as const) {
            expect(await servedVersion(t)).toBe("6.1.0");
            await servesArticle(t);
            expect(settingsOf(t)).toMatchObject({ list_limit: "7", MetaDesc: `Meta of ${t}` });
            const own = await schemaOf(entries[t].db.name, entries[t].db.prefix);
            expect(own.columns).toEqual(fresh.columns);
            expect(own.indexes).toEqual(fresh.indexes);
            const versions = await extensionVersions(entries[t].db.name, entries[t].db.prefix);
            const differ = Object.keys(freshVersions).filter((k) => versions[k] !== freshVersions[k]).map((k) => `${k}: ${versions[k]} vs ${freshVersions[k]}`);
            expect(differ).toEqual([]);
        }
    }, 600_000);

    test("once repaired, the failed tenant upgrades; the unused release can then be removed", async () => {
        await sql(FAILING, `ALTER TABLE ${entries[FAILING].db.prefix}content_types ADD COLUMN router varchar(255) NOT NULL DEFAULT '' AFTER field_mappings`);
        const r = upgrade(FAILING, "joomla-6.1.0");
        expect(r.status, r.why).toBe(0);
        expect(await servedVersion(FAILING)).toBe("6.1.0");
        await servesArticle(FAILING);
        expect((await extensionVersions(entries[FAILING].db.name, entries[FAILING].db.prefix))["file//joomla/0"]).toBe("6.1.0");
        // The platform's `current` moves on (new tenants get 6.1.0); the releases nobody uses can go.
        const current = path.join(plane.root, "srv/mokowaas/current");
        fs.rmSync(current);
        fs.symlinkSync("releases/joomla-6.1.0", current);
        expect(mokowaas(plane.root, ["release", "rm", "joomla-6.1.0"]).status).toBe(6);
        for (const id of ["joomla-6.0.3", "joomla-6.0.4"]) check(mokowaas(plane.root, ["release", "rm", id]), `release rm ${id}`);
        expect(releaseList().map((r) => [r.id, r.current, r.tenants])).toEqual([["joomla-6.1.0", true, ["alpha", "beta", "gamma"]]]);
        for (const t of TENANTS) await servesArticle(t);
    }, 600_000);
});
