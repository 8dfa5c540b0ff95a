/**
 * Benchmark (not a test): seeding one tenant from the blueprint (`mokowaas tenant seed`, server-side
 * table copy) vs loading Joomla's three install SQL files into an empty database. Both run as a
 * fresh PHP process against a private MariaDB, alternated round by round so machine noise hits
 * both alike. Run: npx tsx bench/seed/seed-vs-install.ts [rounds]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startMariaDb, adminConnection } from "../../test/harness/mariadb";
import { layOutRelease } from "../../test/harness/joomla-release";
import { TestPlatform } from "../../test/runtime/lifecycle-harness";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
    const rounds = Number(process.argv[2] ?? 7);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-db-"));
    const db = await startMariaDb(dir);
    const { stop, ...info } = db;
    const p = new TestPlatform(info);
    try {
        const release = layOutRelease("6.0.4", path.join(p.root, "release"));
        if (p.cli(["blueprint", "create", "--sql-only", "--release", release, "--database", p.blueprintDb]).status !== 0) throw new Error("blueprint failed");
        const seed: number[] = [];
        const install: number[] = [];
        for (let i = 0; i < rounds; i++) {
            const t = await p.addTenant(`seed${i}`);
            let t0 = process.hrtime.bigint();
            const r = p.seed(t);
            seed.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (r.status !== 0) throw new Error(r.stderr);

            const c = await adminConnection(info);
            const name = `bench_install_${p.id}_${i}`;
            await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
            t0 = process.hrtime.bigint();
            const l = spawnSync("php", [path.join(__dirname, "load-install-sql.php"), release, name, "jos_"], { env: p.env(), encoding: "utf8" });
            install.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (l.status !== 0) throw new Error(l.stderr);
            await c.query(`DROP DATABASE ${name}`);
            await c.end();
        }
        const [s, l] = [median(seed), median(install)];
        console.log(`rounds: ${rounds}`);
        console.log(`tenant seed (blueprint copy + super user + media + ready): median ${s.toFixed(0)} ms  [${seed.map((x) => x.toFixed(0)).join(", ")}]`);
        console.log(`load install SQL (base, supports, extensions):            median ${l.toFixed(0)} ms  [${install.map((x) => x.toFixed(0)).join(", ")}]`);
        console.log(`ratio install/seed: ${(l / s).toFixed(1)}x`);
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
