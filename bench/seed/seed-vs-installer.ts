/**
 * Benchmark (not a test): a new site on the platform (`mokowaas tenant seed` from a blueprint that
 * Joomla's own installer built, the standby copy ready) vs a new site the classic way (Joomla's
 * CLI installer, `php installation/joomla.php install ...`, into an empty database), both with
 * the real Joomla 6.0.4 package against a private MySQL 9.7, round by round so machine noise hits
 * both alike. What is timed is what each caller waits for: the seed command (its standby refill
 * then runs in a detached child, waited for between rounds but not timed) and the installer run
 * (its copy of the release is made beforehand, not timed, as an unpacked release would be).
 * Run: npx tsx bench/seed/seed-vs-installer.ts [rounds]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adminConnection, startMySql } from "../../devenv/mysql";
import { phpBin } from "../../devenv/toolchain";
import { joomlaRelease } from "../../test/harness/joomla-package";
import { TestPlatform, superUser } from "../../test/runtime/lifecycle-harness";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A `$2a$10$` hash as the control plane sends it (Pulumi random's bcryptHash), from PHP's `$2y$`. */
function bcryptHash(password: string): string {
    const r = spawnSync(phpBin(), ["-r", 'echo password_hash(stream_get_contents(STDIN), PASSWORD_BCRYPT, ["cost" => 10]);'], { input: password, encoding: "utf8" });
    if (r.status !== 0 || !r.stdout.startsWith("$2y$10$")) throw new Error(`password_hash failed: ${r.stderr}`);
    return "$2a$" + r.stdout.slice(4);
}

function timed(run: () => { status: number | null; stderr: string; stdout?: string }, what: string): { ms: number; stdout: string } {
    const t0 = process.hrtime.bigint();
    const r = run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${what}: ${r.stderr}${r.stdout ?? ""}`);
    return { ms, stdout: r.stdout ?? "" };
}

async function main() {
    const rounds = Number(process.argv[2] ?? 7);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-seed-"));
    const db = await startMySql(dir);
    const { stop, ...info } = db;
    const p = new TestPlatform(info);
    const { username, email, password } = superUser("bench");
    const admin = JSON.stringify({ username, email, passwordHash: bcryptHash(password) });
    const cols = { seed: [] as number[], installer: [] as number[] };
    try {
        const release = joomlaRelease("6.0.4", path.join(p.root, "release"));
        const bp = p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb]);
        if (bp.status !== 0) throw new Error(`blueprint failed: ${bp.stderr}`);
        for (let i = 0; i < rounds; i++) {
            p.cli(["blueprint", "standby"]);
            const t = await p.addTenant(`s${i}`);
            const s = timed(() => p.cli(["tenant", "seed", t.name], admin), "tenant seed");
            if (!s.stdout.includes("(standby copy)")) throw new Error("the standby copy was not used");
            cols.seed.push(s.ms);
            p.waitForStandby();

            // The classic way: Joomla's installer into its own empty database, from a fresh copy.
            const name = `classic_${p.id}_${i}`;
            const c = await adminConnection(info);
            await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
            const copy = joomlaRelease("6.0.4", path.join(p.root, `classic-${i}`));
            cols.installer.push(timed(() => spawnSync(phpBin(), [path.join(copy, "installation/joomla.php"), "install", "-n",
                "--site-name=Classic", "--admin-user=Admin", `--admin-username=${username}`, `--admin-password=${password}`, `--admin-email=${email}`,
                "--db-type=mysqli", `--db-host=${info.host}:${info.port}`, `--db-user=${info.adminUser}`, `--db-pass=${info.adminPassword}`,
                `--db-name=${name}`, "--db-prefix=jos_", "--db-encryption=0"], { cwd: copy, encoding: "utf8" }), "joomla installer").ms);
            await c.query(`DROP DATABASE ${name}`);
            await c.end();
            fs.rmSync(copy, { recursive: true, force: true });
            console.log(`round ${i + 1}: seed ${cols.seed[i].toFixed(0)} ms, installer ${cols.installer[i].toFixed(0)} ms`);
        }
        const row = (label: string, xs: number[]) => console.log(`| ${label} | ${median(xs).toFixed(0)} ms | ${xs.map((x) => x.toFixed(0)).join(", ")} |`);
        console.log(`\nrounds: ${rounds}\n\n| | median | runs (ms) |\n|---|---|---|`);
        row("`mokowaas tenant seed` (standby ready, admin sent as its bcrypt hash)", cols.seed);
        row("Joomla's CLI installer, one new site", cols.installer);
        console.log(`\nratio installer / seed: ${(median(cols.installer) / median(cols.seed)).toFixed(1)}x`);
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
