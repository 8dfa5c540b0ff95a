/**
 * Platform-managed extensions on real Joomla 6.0.4, through real Caddy, PHP-FPM and MySQL. The
 * test builds its own Joomla package (a site module whose install SQL creates a table and whose
 * 1.0.1 update SQL adds a column, and a system plugin), lays a release down with it installed by
 * Joomla's own installer (`release extensions`), and checks that a tenant listing it gets it in its
 * own database only (registry put), that a release with the package's next version brings the
 * update SQL to that tenant at `migrate`, and that leaving it out of the list uninstalls it there,
 * the files staying in the shared release.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { writePassphrase } from "../../devenv/borg";
import { httpsGet } from "../../devenv/caddy";
import { adminConnection } from "../../devenv/mysql";
import { check, makeTraversable, mokowaas } from "../../devenv/server-cli";
import { addJoomlaTenant, putEntry, setRelease, startDataPlane, type DataPlane, type TenantEntry } from "../harness/data-plane";
import { eventually } from "../harness/eventually";
import { JoomlaBrowser, formToken } from "../harness/joomla-browser";
import { joomlaRelease } from "../harness/joomla-package";
import { MODULE_TEXT, PLUGIN_TEXT, buildProbePackage } from "../harness/probe-extension";

let dir: string;
let plane: DataPlane;
const tenants: Record<string, TenantEntry> = {};
const admins: Record<string, { username: string; password: string }> = {};

const srv = () => path.join(plane.root, "srv/mokowaas");

/**
 * Lays a release down as the platform stack does: unpack (no installer), extensions, bootstrap;
 * then serves it: `current` (new tenants) and every tenant pinned to it, as `upgrade` pins them
 * (its archive, maintenance and Joomla's finalisation are test/runtime/upgrade.test.ts's subject).
 */
function serveRelease(name: string, pkg: { file: string; sha512: string }): string {
    const rel = path.join(srv(), "releases", name);
    joomlaRelease("6.0.4", rel, { installer: false });
    makeTraversable(rel);
    const r = mokowaas(plane.root, ["release", "extensions", rel, "--dist", `${plane.release}.dist`, "--package", `mokoprobe=${pkg.sha512}:${pkg.file}`]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    check(mokowaas(plane.root, ["release", "bootstrap", rel]), "release bootstrap");
    fs.symlinkSync(`releases/${name}`, path.join(srv(), "current.new"));
    fs.renameSync(path.join(srv(), "current.new"), path.join(srv(), "current"));
    const listed = mokowaas(plane.root, ["registry", "list"]);
    for (const t of JSON.parse(listed.stdout) as { tenant: string }[]) setRelease(plane.root, t.tenant, name);
    process.kill(plane.fpm.pid, "SIGUSR2");
    return rel;
}

async function query<T>(t: string, sql: string): Promise<T[]> {
    const c = await adminConnection(inject("mysql"));
    try {
        const [rows] = await c.query(sql.replaceAll("#__", `\`${tenants[t].db.name}\`.\`${tenants[t].db.prefix}`));
        return rows as T[];
    } finally {
        await c.end();
    }
}
const probeRows = (t: string) =>
    query<{ type: string; element: string; state: number }>(t, "SELECT type, element, state FROM #__extensions` WHERE element IN ('mod_mokoprobe', 'mokoprobe', 'pkg_mokoprobe') ORDER BY type");
const probeTable = async (t: string) =>
    (await query<{ COLUMN_NAME: string }>(t, `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${tenants[t].db.name}' AND TABLE_NAME = '${tenants[t].db.prefix}mokoprobe' ORDER BY ORDINAL_POSITION`)).map((r) => r.COLUMN_NAME);
const moduleSchema = async (t: string) =>
    (await query<{ version_id: string }>(t, "SELECT s.version_id FROM #__schemas` s JOIN #__extensions` e ON e.extension_id = s.extension_id WHERE e.element = 'mod_mokoprobe'")).map((r) => r.version_id);

let v100: { file: string; sha512: string };
let r1: string;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-ext-"));
    makeTraversable(dir);
    const db = inject("mysql");
    plane = await startDataPlane(dir, db, { joomla: "6.0.4" });
    writePassphrase(plane.root); // uninstalling archives the tenant first
    v100 = buildProbePackage(dir, "1.0.0");
    r1 = serveRelease("joomla-6.0.4-x1", v100);
    for (const t of ["alpha", "beta"]) {
        const { entry, admin } = await addJoomlaTenant(plane.root, db, t, { online: true });
        tenants[t] = entry;
        admins[t] = admin;
    }
}, 600_000);
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("platform-managed extensions", () => {
    test("a release holds the package's files, installed by Joomla's installer, root's and read-only; the release before it is untouched; the build leaves nothing behind", async () => {
        for (const f of ["modules/mod_mokoprobe/mod_mokoprobe.php", "modules/mod_mokoprobe/sql/updates/mysql/1.0.0.sql", "plugins/system/mokoprobe/services/provider.php",
            "administrator/manifests/packages/pkg_mokoprobe.xml"]) {
            const st = fs.statSync(path.join(r1, f));
            expect(st.uid, f).toBe(0);
            expect(st.mode & 0o777, f).toBe(0o644); // every tenant's user reads it, none writes it
        }
        const offered = JSON.parse(fs.readFileSync(path.join(r1, "mokowaas/extensions.json"), "utf8")).extensions;
        expect(Object.keys(offered)).toEqual(["mokoprobe"]);
        expect(offered.mokoprobe).toMatchObject({ package: "pkg_mokoprobe", version: "1.0.0", sha512: v100.sha512 });
        expect(offered.mokoprobe.children.map((c: { element: string }) => c.element)).toEqual(["mod_mokoprobe", "mokoprobe"]);
        expect(fs.existsSync(path.join(plane.release, "modules/mod_mokoprobe"))).toBe(false);
        expect(fs.existsSync(path.join(r1, "configuration.php"))).toBe(true); // the bootstrap's, not the build's
        expect(fs.readFileSync(path.join(r1, "configuration.php"), "utf8")).not.toContain("mokowaas_ext_");
        expect(fs.readdirSync(path.join(r1, "administrator/cache"))).toEqual(["index.html"]);
        const c = await adminConnection(inject("mysql"));
        try {
            const [dbs] = await c.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mokowaas\\_ext\\_%'");
            expect(dbs).toEqual([]);
            const [users] = await c.query("SELECT User FROM mysql.user WHERE User LIKE 'mkext\\_%'");
            expect(users).toEqual([]);
        } finally {
            await c.end();
        }
    });

    test("a package that does not match its SHA-512 is refused before anything is installed", () => {
        const rel = path.join(dir, "bad-release");
        joomlaRelease("6.0.4", rel, { installer: false });
        const r = mokowaas(plane.root, ["release", "extensions", rel, "--dist", `${plane.release}.dist`, "--package", `mokoprobe=${"0".repeat(128)}:${v100.file}`]);
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("does not match its SHA-512");
        expect(fs.existsSync(path.join(rel, "modules/mod_mokoprobe"))).toBe(false);
        expect(fs.existsSync(path.join(rel, "configuration.php"))).toBe(false);
    });

    test("a tenant that lists it gets it in its own database only; its site shows the module, the other's does not", async () => {
        expect(await probeRows("alpha")).toEqual([]);
        tenants.alpha = { ...tenants.alpha, extensions: ["mokoprobe"] };
        const put = putEntry(plane.root, tenants.alpha);
        expect(put.status, put.stderr + put.stdout).toBe(0);
        expect(put.stdout).toContain("alpha: extensions installed: mokoprobe");
        expect(await probeRows("alpha")).toEqual([
            { type: "module", element: "mod_mokoprobe", state: 0 },
            { type: "package", element: "pkg_mokoprobe", state: 0 },
            { type: "plugin", element: "mokoprobe", state: 0 },
        ]);
        expect(await probeTable("alpha")).toEqual(["id", "note"]);
        expect(await moduleSchema("alpha")).toEqual(["1.0.0"]);
        expect(await probeRows("beta")).toEqual([]);
        expect(await probeTable("beta")).toEqual([]);
        // Put again unchanged, or the verb on its own: nothing to do, in either tenant.
        expect(putEntry(plane.root, tenants.alpha).stdout).not.toContain("installed");
        for (const t of ["alpha", "beta"]) {
            const again = mokowaas(plane.root, ["tenant", "extensions", t]);
            expect(again.status, again.stderr).toBe(0);
            expect(again.stdout).toBe("");
        }

        // Each tenant's own administrator would place the module and enable the plugin; here, by SQL, in both.
        for (const t of ["alpha", "beta"]) {
            await query(t, "INSERT INTO #__modules` (title, note, content, ordering, position, checked_out, checked_out_time, publish_up, publish_down, published, module, access, showtitle, params, client_id, language)"
                + " VALUES ('Probe', '', '', 1, 'sidebar-right', NULL, NULL, NULL, NULL, 1, 'mod_mokoprobe', 1, 0, '{}', 0, '*')");
            await query(t, "INSERT INTO #__modules_menu` (moduleid, menuid) SELECT id, 0 FROM #__modules` WHERE module = 'mod_mokoprobe'");
            await query(t, "UPDATE #__extensions` SET enabled = 1 WHERE type = 'plugin' AND element = 'mokoprobe' AND folder = 'system'");
        }
        const alpha = await eventually(() => httpsGet(plane.caddy, "alpha.example.com"), (p) => p.body.includes(MODULE_TEXT));
        expect(alpha.status, alpha.body.slice(0, 300)).toBe(200);
        expect(alpha.body).toContain(`${MODULE_TEXT} v1.0.0`);
        expect(alpha.body).toContain(PLUGIN_TEXT);
        const beta = await httpsGet(plane.caddy, "beta.example.com");
        expect(beta.status).toBe(200);
        expect(beta.body).not.toContain(MODULE_TEXT);
        expect(beta.body).not.toContain(PLUGIN_TEXT);
    });

    test("a name the release does not offer is refused with the offered ones, and nothing changes", async () => {
        const r = putEntry(plane.root, { ...tenants.beta, siteName: "Changed", extensions: ["mokoprobe", "nosuch"] });
        expect(r.status).toBe(3);
        expect(r.stderr).toContain('"nosuch" not offered by the platform (the served release offers mokoprobe');
        expect(await probeRows("beta")).toEqual([]);
        const entry = JSON.parse(mokowaas(plane.root, ["registry", "list"]).stdout).find((e: { tenant: string }) => e.tenant === "beta");
        expect(entry.siteName).toBe(tenants.beta.siteName);
        expect(entry.extensions).toBeUndefined();
    });

    test("the tenant's own administrator still cannot uninstall what the platform installed (403, nothing removed)", async () => {
        const b = new JoomlaBrowser("dev.alpha.example.com", plane.caddy.httpsPort, plane.caddy.ca);
        expect(await b.loginAdministrator(admins.alpha.username, admins.alpha.password)).toBe(true);
        const token = formToken((await b.get("/administrator/index.php?option=com_installer&view=manage")).body);
        const ids = await query<{ extension_id: number }>("alpha", "SELECT extension_id FROM #__extensions` WHERE element IN ('pkg_mokoprobe', 'mod_mokoprobe')");
        for (const { extension_id: id } of ids) {
            const r = await b.post("/administrator/index.php", { option: "com_installer", task: "manage.remove", "cid[]": String(id), [token]: "1" });
            expect(r.status).toBe(403);
            expect(r.body).toContain("Extensions for this site are managed by its hosting platform");
        }
        expect(await probeRows("alpha")).toHaveLength(3);
        expect(await probeTable("alpha")).toEqual(["id", "note"]);
    });

    test("a new tenant whose entry lists it gets it when seeded", async () => {
        const { entry } = await addJoomlaTenant(plane.root, inject("mysql"), "gamma", { extensions: ["mokoprobe"] });
        tenants.gamma = entry;
        expect((await probeRows("gamma")).map((r) => r.element)).toEqual(["mod_mokoprobe", "pkg_mokoprobe", "mokoprobe"]);
        expect(await probeTable("gamma")).toEqual(["id", "note"]);
        expect(await probeRows("beta")).toEqual([]);
    });

    test("the tenant's own attempts stay refused: Joomla's CLI extension commands for it exit 6", async () => {
        for (const cmd of ["extension:discover:install", "extension:remove"]) {
            const r = mokowaas(plane.root, ["joomla", "beta", cmd]);
            expect(r.status, cmd).toBe(6);
        }
        expect(await probeRows("beta")).toEqual([]);
    });

    test("the package's next version in a new release: `migrate` runs its update SQL in the tenants that have it", async () => {
        const v101 = buildProbePackage(dir, "1.0.1");
        const r2 = serveRelease("joomla-6.0.4-x2", v101);
        expect(fs.existsSync(path.join(r2, "modules/mod_mokoprobe/sql/updates/mysql/1.0.1.sql"))).toBe(true);
        expect(fs.existsSync(path.join(r1, "modules/mod_mokoprobe/sql/updates/mysql/1.0.1.sql"))).toBe(false);
        const dry = mokowaas(plane.root, ["migrate", "--all", "--dry-run", "--json"]);
        const pending = JSON.parse(dry.stdout).tenants.map((t: { tenant: string; schemas: { schema: string; pending: string[] }[] }) =>
            [t.tenant, t.schemas.filter((s) => s.schema !== "core").map((s) => [s.schema, s.pending])]);
        expect(pending).toEqual([["alpha", [["mokoprobe/mod_mokoprobe", ["1.0.1"]]]], ["beta", []], ["gamma", [["mokoprobe/mod_mokoprobe", ["1.0.1"]]]]]);
        const m = mokowaas(plane.root, ["migrate", "--all"]);
        expect(m.status, m.stderr + m.stdout).toBe(0);
        expect(m.stdout).toContain("alpha: mokoprobe/mod_mokoprobe applied 1.0.1");
        expect(await probeTable("alpha")).toEqual(["id", "note", "added_in_101"]);
        expect(await moduleSchema("alpha")).toEqual(["1.0.1"]);
        expect(await probeTable("gamma")).toEqual(["id", "note", "added_in_101"]);
        expect(await probeTable("beta")).toEqual([]);
        expect(await probeRows("beta")).toEqual([]);
        const manifest = await query<{ manifest_cache: string }>("alpha", "SELECT manifest_cache FROM #__extensions` WHERE element = 'mod_mokoprobe'");
        expect(JSON.parse(manifest[0].manifest_cache).version).toBe("1.0.1");
        // Again: nothing pending.
        expect(mokowaas(plane.root, ["migrate", "--all"]).stdout).toContain("alpha: mokoprobe/mod_mokoprobe up to date");
        const page = await eventually(() => httpsGet(plane.caddy, "alpha.example.com"), (p) => p.body.includes(`${MODULE_TEXT} v1.0.1`));
        expect(page.body).toContain(`${MODULE_TEXT} v1.0.1`);
    });

    test("left out of the tenant's list, it is uninstalled from that tenant's database after an archive; the files stay in the release", async () => {
        const current = fs.realpathSync(path.join(srv(), "current"));
        await query("alpha", "INSERT INTO #__mokoprobe` (note) VALUES ('kept by the archive')");
        tenants.alpha = { ...tenants.alpha, extensions: [] };
        const put = putEntry(plane.root, tenants.alpha);
        expect(put.status, put.stderr + put.stdout).toBe(0);
        expect(put.stdout).toContain("alpha: extensions uninstalled: mokoprobe");
        const archive = /alpha: archived as (alpha-pre-extension-removal-\S+) before uninstalling/.exec(put.stdout)?.[1];
        expect(archive, put.stdout).toBeDefined();
        expect(await probeRows("alpha")).toEqual([]);
        expect(await probeTable("alpha")).toEqual([]);
        expect(await moduleSchema("alpha")).toEqual([]);
        expect(await query("alpha", "SELECT id FROM #__modules` WHERE module = 'mod_mokoprobe'")).toEqual([]);
        for (const f of ["modules/mod_mokoprobe/mod_mokoprobe.php", "plugins/system/mokoprobe/services/provider.php", "administrator/manifests/packages/pkg_mokoprobe.xml"]) {
            expect(fs.existsSync(path.join(current, f)), f).toBe(true);
        }
        const page = await eventually(() => httpsGet(plane.caddy, "alpha.example.com"), (p) => !p.body.includes(MODULE_TEXT));
        expect(page.status).toBe(200);
        expect(page.body).not.toContain(MODULE_TEXT);
        expect(page.body).not.toContain(PLUGIN_TEXT);

        // What the extension held comes back with that archive; a restore never uninstalls what the restored database has.
        const restore = mokowaas(plane.root, ["restore", "alpha", "--archive", archive!]);
        expect(restore.status, restore.stderr + restore.stdout).toBe(0);
        expect(restore.stdout).not.toContain("uninstalled");
        expect(await query("alpha", "SELECT note FROM #__mokoprobe`")).toEqual([{ note: "kept by the archive" }]);
        expect((await probeRows("alpha")).map((r) => r.element)).toEqual(["mod_mokoprobe", "pkg_mokoprobe", "mokoprobe"]);
    });

    test("a tenant that lists it later gets the current release's version, install SQL and schema version", async () => {
        tenants.beta = { ...tenants.beta, extensions: ["mokoprobe"] };
        const put = putEntry(plane.root, tenants.beta);
        expect(put.status, put.stderr + put.stdout).toBe(0);
        expect(put.stdout).toContain("beta: extensions installed: mokoprobe");
        expect(await probeTable("beta")).toEqual(["id", "note", "added_in_101"]);
        expect(await moduleSchema("beta")).toEqual(["1.0.1"]);
        // Beta's module instance, placed earlier, now renders; alpha's data is its own.
        const page = await eventually(() => httpsGet(plane.caddy, "beta.example.com"), (p) => p.body.includes(MODULE_TEXT));
        expect(page.body).toContain(`${MODULE_TEXT} v1.0.1`);
        expect(await query("beta", "SELECT note FROM #__mokoprobe`")).toEqual([]);
    });
});
