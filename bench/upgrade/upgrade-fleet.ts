/**
 * Benchmark (not a test): `mokowaas upgrade --all` from real Joomla 6.0.4 to 6.1.0 over N tenants
 * (default 50) at concurrency 1, then over another N at concurrency 4 (an upgrade cannot be
 * repeated on the same tenant, so each run gets its own freshly seeded set; the first set is
 * already on 6.1.0 when the second runs, so `--all` passes it by). Real MySQL, PHP-FPM, Caddy and Borg; every tenant's
 * upgrade is the whole thing: pre-upgrade archive, 503 window, database updates, Joomla's
 * finalisation, verification through Caddy. Prints the total time, the per-tenant 503 window
 * (median, max) and the pre-upgrade archive's cost (median, max) for each concurrency.
 * Run: npx tsx bench/upgrade/upgrade-fleet.ts [tenants per run]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writePassphrase } from "../../devenv/borg";
import { startMySql } from "../../devenv/mysql";
import { check, makeTraversable, mokowaas } from "../../devenv/server-cli";
import { addJoomlaTenant, platformInit, startDataPlane, type TenantEntry } from "../../test/harness/data-plane";
import { joomlaRelease } from "../../test/harness/joomla-package";

/** What `mokowaas upgrade --all --json` prints (docs/server-cli.md). */
interface UpgradeAll {
    seconds: number;
    tenants: { tenant: string; status: string; maintenanceSeconds?: number; steps?: { step: string; seconds: number }[] }[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]) => Math.max(...xs);

async function main() {
    const n = Number(process.argv[2] ?? 50);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-upgrade-"));
    const db = await startMySql(path.join(dir, "mysql"));
    const plane = await startDataPlane(path.join(dir, "plane"), db, { joomla: "6.0.4" });
    try {
        writePassphrase(plane.root);
        platformInit(plane.root, db, plane.fpmDir, ["--web-url", `https://127.0.0.1:${plane.caddy.httpsPort}`, "--ca-file", plane.caddy.caFile]);
        const rel = path.join(plane.root, "srv/mokowaas/releases/joomla-6.1.0");
        joomlaRelease("6.1.0", rel, { installer: false });
        makeTraversable(rel);
        check(mokowaas(plane.root, ["release", "bootstrap", rel]), "release bootstrap 6.1.0");
        const results: string[] = [];
        for (const concurrency of [1, 4]) {
            const set: TenantEntry[] = [];
            const t0 = Date.now();
            for (let i = 0; i < n; i++) set.push((await addJoomlaTenant(plane.root, db, `u${concurrency}x${i}`, { siteName: `Upgrade bench ${concurrency}/${i}` })).entry);
            console.error(`seeded ${n} tenants in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
            const r = mokowaas(plane.root, ["upgrade", "--all", "--release", "joomla-6.1.0", "--concurrency", String(concurrency), "--canary", "1", "--max-failures", String(n), "--json"]);
            const out = JSON.parse(r.stdout) as UpgradeAll;
            const mine = out.tenants.filter((t) => set.some((e) => e.tenant === t.tenant));
            const upgraded = mine.filter((t) => t.status === "upgraded");
            const windows = upgraded.map((t) => t.maintenanceSeconds ?? 0);
            const archives = upgraded.map((t) => (t.steps ?? []).find((s) => s.step === "archive")?.seconds ?? 0);
            results.push(`concurrency ${concurrency}: ${upgraded.length}/${n} upgraded in ${out.seconds.toFixed(1)} s; 503 window median ${median(windows).toFixed(2)} s, max ${max(windows).toFixed(2)} s; pre-upgrade archive median ${median(archives).toFixed(2)} s, max ${max(archives).toFixed(2)} s`);
            console.error(results.at(-1));
        }
        console.log(results.join("\n"));
    } finally {
        await plane.stop();
        await db.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
