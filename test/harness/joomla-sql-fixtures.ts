/**
 * Joomla's own SQL for versions the artifact mirror has no package of (5.4.5, 6.0.0): a release
 * folder laid out from `../shared/fixtures/joomla/<version>` (or MOKOWAAS_FIXTURES/<version>) with
 * the install SQL, the core update files and the core manifest at their real paths, and no PHP
 * code. Only the migrator's tests and benchmarks use it (blueprint with --sql-only); everything that
 * runs Joomla uses a real package (test/harness/joomla-package.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "../..");

export function fixturesDir(): string {
    return process.env.MOKOWAAS_FIXTURES ?? path.resolve(repoRoot, "../shared/fixtures/joomla");
}

export const UPDATES_DIR = "administrator/components/com_admin/sql/updates/mysql";
export const MANIFEST = "administrator/manifests/files/joomla.xml";

/**
 * Lays out release `version` in `dest` and returns `dest`. `extraUpdates` adds update files
 * (name -> SQL), e.g. a deliberately broken one.
 */
export function layOutRelease(version: string, dest: string, extraUpdates: Record<string, string> = {}): string {
    const src = path.join(fixturesDir(), version);
    if (!fs.existsSync(src)) throw new Error(`no Joomla fixture ${src}: set MOKOWAAS_FIXTURES to the fixtures folder`);
    const copyAll = (from: string, to: string) => {
        fs.mkdirSync(to, { recursive: true });
        for (const f of fs.readdirSync(from).filter((f) => f.endsWith(".sql"))) fs.copyFileSync(path.join(from, f), path.join(to, f));
    };
    copyAll(path.join(src, "installation/sql/mysql"), path.join(dest, "installation/sql/mysql"));
    copyAll(path.join(src, "updates/mysql"), path.join(dest, UPDATES_DIR));
    fs.mkdirSync(path.dirname(path.join(dest, MANIFEST)), { recursive: true });
    fs.copyFileSync(path.join(src, "joomla.xml"), path.join(dest, MANIFEST));
    for (const [name, sql] of Object.entries(extraUpdates)) fs.writeFileSync(path.join(dest, UPDATES_DIR, name), sql);
    return dest;
}

/** The newest core schema version of a laid-out release (file name without .sql, version order). */
export function newestSchema(release: string): string {
    const names = fs.readdirSync(path.join(release, UPDATES_DIR)).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4));
    return names.sort(compareVersions).at(-1)!;
}

/** PHP's version_compare for the `X.Y.Z-YYYY-MM-DD` names Joomla uses. */
function compareVersions(a: string, b: string): number {
    const pa = a.split(/[-.]/).map(Number);
    const pb = b.split(/[-.]/).map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}
