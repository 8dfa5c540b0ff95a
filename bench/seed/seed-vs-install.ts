/**
 * Benchmark (not a test): seeding one tenant from the blueprint (`mokowaas tenant seed`) vs loading
 * Joomla's three install SQL files into an empty database. Every side runs as a fresh PHP process
 * against a private MySQL, round by round so machine noise hits all alike. Per round:
 *  - seed, standby ready: what the caller of `tenant seed` waits for (the ready standby copy moved
 *    in by one RENAME TABLE; the copy's refill then runs in a detached child, not timed here),
 *    sent "passwordHash" (the control plane's way) and, for comparison, "password";
 *  - refill: `mokowaas blueprint standby` remaking the copy, the work each seed leaves behind;
 *  - seed, no standby: the copy made by the seed itself (what happens when the standby is stale);
 *  - install SQL: base.sql, supports.sql, extensions.sql through the same splitter;
 *  - a PHP process start (every seed pays it) and one bcrypt password_hash (what a seed sent
 *    "password" pays; the seeds timed here get "passwordHash", hashed once before the rounds, as
 *    the control plane sends RandomPassword.bcryptHash).
 * Run: npx tsx bench/seed/seed-vs-install.ts [rounds]
 */
import { phpBin } from "../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adminConnection, startMySql } from "../../devenv/mysql";
import { layOutRelease } from "../../test/harness/joomla-sql-fixtures";
import { TestPlatform, type TenantInfo, superUser } from "../../test/runtime/lifecycle-harness";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A `$2a$10$` hash like Go's bcrypt (the Pulumi random provider) makes, from PHP's `$2y$` (same algorithm). */
function bcryptHash(password: string): string {
    const r = spawnSync(phpBin(), ["-r", 'echo password_hash(stream_get_contents(STDIN), PASSWORD_BCRYPT, ["cost" => 10]);'], { input: password, encoding: "utf8" });
    if (r.status !== 0 || !r.stdout.startsWith("$2y$10$")) throw new Error(`password_hash failed: ${r.stderr}`);
    return "$2a$" + r.stdout.slice(4);
}

function timed(run: () => { status: number | null; stderr: string; stdout?: string }, what: string): { ms: number; stdout: string } {
    const t0 = process.hrtime.bigint();
    const r = run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${what}: ${r.stderr}`);
    return { ms, stdout: r.stdout ?? "" };
}

async function main() {
    const rounds = Number(process.argv[2] ?? 7);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-db-"));
    const db = await startMySql(dir);
    const { stop, ...info } = db;
    const p = new TestPlatform(info);
    const standby = `${p.blueprintDb}_standby`;
    const invalidate = async () => {
        const c = await adminConnection(info);
        await c.query(`DELETE FROM \`${standby}\`._mkstandby`);
        await c.end();
    };
    const { username, email, password } = superUser("bench");
    const admin = JSON.stringify({ username, email, passwordHash: bcryptHash(password) });
    const seed = (t: TenantInfo) => p.cli(["tenant", "seed", t.name], admin);
    const seedPlain = (t: TenantInfo) => p.cli(["tenant", "seed", t.name], JSON.stringify({ username, email, password }));
    const ready = () => timed(() => p.cli(["blueprint", "standby"]), "blueprint standby");
    const cols = { seedStandby: [] as number[], seedPlain: [] as number[], refill: [] as number[], seedCopy: [] as number[], install: [] as number[], php: [] as number[], bcrypt: [] as number[] };
    try {
        const release = layOutRelease("6.0.4", path.join(p.root, "release"));
        if (p.cli(["blueprint", "create", "--sql-only", "--release", release, "--database", p.blueprintDb]).status !== 0) throw new Error("blueprint failed");
        for (let i = 0; i < rounds; i++) {
            // Seed with the standby ready (any refill of the previous round finished first).
            ready();
            const a = await p.addTenant(`sa${i}`);
            const s = timed(() => seed(a), "seed (standby)");
            if (!s.stdout.includes("(standby copy)")) throw new Error("the standby was not used");
            cols.seedStandby.push(s.ms);
            p.waitForStandby();

            // The same, sent the plain password (hashed by the seed: before the control plane sent the hash).
            ready();
            const pa = await p.addTenant(`sp${i}`);
            const sp = timed(() => seedPlain(pa), "seed (standby, password)");
            if (!sp.stdout.includes("(standby copy)")) throw new Error("the standby was not used");
            cols.seedPlain.push(sp.ms);
            p.waitForStandby();

            // The refill the seed started, measured on its own: invalidate the copy, remake it.
            await invalidate();
            const refill = ready();
            if (!refill.stdout.includes("rebuilt")) throw new Error(`refill did not rebuild: ${refill.stdout}`);
            cols.refill.push(refill.ms);

            // Seed without a usable standby: the seed copies the blueprint itself.
            await invalidate();
            const b = await p.addTenant(`sb${i}`);
            const c = timed(() => seed(b), "seed (copy)");
            if (c.stdout.includes("(standby copy)")) throw new Error("the invalidated standby was used");
            cols.seedCopy.push(c.ms);
            p.waitForStandby();

            const conn = await adminConnection(info);
            const name = `bench_install_${p.id}_${i}`;
            await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
            cols.install.push(timed(() => spawnSync(phpBin(), [path.join(__dirname, "load-install-sql.php"), release, name, "jos_"], { env: p.env(), encoding: "utf8" }), "install SQL").ms);
            await conn.query(`DROP DATABASE ${name}`);
            await conn.end();

            cols.php.push(timed(() => spawnSync(phpBin(), ["-r", "exit(0);"], { encoding: "utf8" }), "php").ms);
            const h = spawnSync(phpBin(), ["-r", '$t = hrtime(true); password_hash("correct horse battery staple", PASSWORD_BCRYPT); echo (hrtime(true) - $t) / 1e6;'], { encoding: "utf8" });
            cols.bcrypt.push(Number(h.stdout));
        }
        const row = (label: string, xs: number[]) => console.log(`| ${label} | ${median(xs).toFixed(0)} ms | ${xs.map((x) => x.toFixed(0)).join(", ")} |`);
        console.log(`rounds: ${rounds}\n`);
        console.log("| | median | runs (ms) |\n|---|---|---|");
        row("`tenant seed`, standby ready (what the caller waits for)", cols.seedStandby);
        row("`tenant seed`, standby ready, sent `password` (hashed by the seed; the control plane's way before)", cols.seedPlain);
        row("refill (`blueprint standby`, run by a detached child after each seed)", cols.refill);
        row("`tenant seed`, no usable standby (copies the blueprint itself)", cols.seedCopy);
        row("load the three install SQL files", cols.install);
        row("PHP process start (`php -r 'exit(0);'`)", cols.php);
        row("one bcrypt `password_hash` (in-process; a seed given `passwordHash` no longer pays it)", cols.bcrypt);
        const [s, r, c, l] = [median(cols.seedStandby), median(cols.refill), median(cols.seedCopy), median(cols.install)];
        console.log(`\nratio install / seed with standby: ${(l / s).toFixed(2)}x`);
        console.log(`ratio install / seed with standby sent the password: ${(l / median(cols.seedPlain)).toFixed(2)}x`);
        console.log(`ratio install / (seed with standby + its refill): ${(l / (s + r)).toFixed(2)}x`);
        console.log(`ratio install / seed without standby: ${(l / c).toFixed(2)}x`);
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
