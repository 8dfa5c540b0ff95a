/**
 * Benchmark (not a test): `mokowaas migrate --all` to 6.0.4 over N tenants (default 50) at
 * concurrency 1 and 4, alternated; between runs every tenant's #__schemas is set back to the
 * starting release's version so each run applies the same pending files (Joomla's update files
 * are written to be re-runnable). Start from 6.0.0 (one small file) or 5.4.5 (the 13 files of the
 * major upgrade, ALTERs included).
 * Run: npx tsx bench/migrate/migrate-all.ts [tenants] [rounds] [6.0.0|5.4.5]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adminConnection, startMySql } from "../../devenv/mysql";
import { layOutRelease } from "../../test/harness/joomla-sql-fixtures";
import { TestPlatform, type TenantInfo } from "../../test/runtime/lifecycle-harness";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
    const n = Number(process.argv[2] ?? 50);
    const rounds = Number(process.argv[3] ?? 3);
    const from = process.argv[4] ?? "6.0.0";
    const fromSchema = { "6.0.0": "6.0.0-2025-10-11", "5.4.5": "5.4.0-2025-08-02" }[from];
    if (!fromSchema) throw new Error("start release must be 6.0.0 or 5.4.5");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-db-"));
    const db = await startMySql(dir);
    const { stop, ...info } = db;
    const p = new TestPlatform(info);
    try {
        const r600 = layOutRelease(from, path.join(p.root, "from"));
        const r604 = layOutRelease("6.0.4", path.join(p.root, "r604"));
        if (p.cli(["blueprint", "create", "--sql-only", "--release", r600, "--database", p.blueprintDb]).status !== 0) throw new Error("blueprint failed");
        const tenants: TenantInfo[] = [];
        for (let i = 0; i < n; i++) {
            const t = await p.addTenant(`m${i}`);
            if (p.seed(t).status !== 0) throw new Error(`seed ${t.name} failed`);
            tenants.push(t);
        }
        const reset = async () => {
            const c = await adminConnection(info);
            for (const t of tenants) {
                await c.query(`UPDATE \`${t.database}\`.jos_schemas s JOIN \`${t.database}\`.jos_extensions e ON e.extension_id = s.extension_id
                    SET s.version_id = '${fromSchema}' WHERE e.type = 'file' AND e.element = 'joomla'`);
            }
            await c.end();
        };
        const times: Record<string, number[]> = { "1": [], "4": [] };
        for (let i = 0; i < rounds; i++) {
            for (const conc of ["1", "4"]) {
                await reset();
                const t0 = process.hrtime.bigint();
                const r = p.cli(["migrate", "--all", "--release", r604, "--concurrency", conc, "--json"]);
                times[conc].push(Number(process.hrtime.bigint() - t0) / 1e6);
                const out = JSON.parse(r.stdout) as { tenants: { status: string }[] };
                if (r.status !== 0 || out.tenants.filter((t) => t.status === "migrated").length !== n) throw new Error(`migrate failed: ${r.stderr}`);
            }
        }
        console.log(`from ${from} to 6.0.4, tenants: ${n}, rounds: ${rounds}, cores: ${os.cpus().length}`);
        for (const c of ["1", "4"]) {
            console.log(`concurrency ${c}: median ${(median(times[c]) / 1000).toFixed(2)} s  [${times[c].map((x) => (x / 1000).toFixed(2)).join(", ")}]  = ${(median(times[c]) / n).toFixed(0)} ms/tenant`);
        }
        console.log(`speed-up 4 vs 1: ${(median(times["1"]) / median(times["4"])).toFixed(2)}x`);
    } finally {
        await p.cleanup();
        await stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
