/**
 * Benchmark (not a test): the tenant validator over 100 and 1,000 generated tenant files, measured
 * side by side in one run. The 1,000-file run must cost at most 12x the 100-file run (cross-file
 * checks must not be quadratic). Usage: `npx tsx bench/validator/run.ts [ROUNDS]`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadTenants } from "../../components/tenant-spec";

const rounds = Number(process.argv[2] ?? 7);
const root = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bench-validator-"));

function generate(count: number): string {
    const dir = path.join(root, `t${count}`);
    fs.mkdirSync(dir);
    for (let i = 0; i < count; i++) {
        fs.writeFileSync(
            path.join(dir, `tenant-${i}.yaml`),
            `# yaml-language-server: $schema=./schema.json\ndisplayName: Tenant ${i}\ndomains:\n  production: shop${i}.example.com\n` +
                `  aliases: [www.shop${i}.example.com, shop${i}.example.net]\ndns: { provider: ${i % 2 ? "dreamhost" : "external"} }\n` +
                `online: ${i % 3 === 0}\nadmin: { username: admin${i}, email: owner${i}@example.com }\nbackup: { keep: { daily: 7, weekly: 4, monthly: 6 } }\n`,
        );
    }
    return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dirs = { 100: generate(100), 1000: generate(1000) };
// Warm up (module loading, JIT), then alternate the two sizes so machine noise hits both alike.
loadTenants(dirs[100]);
loadTenants(dirs[1000]);
const times: Record<100 | 1000, number[]> = { 100: [], 1000: [] };
for (let r = 0; r < rounds; r++) {
    for (const n of [100, 1000] as const) {
        const t0 = performance.now();
        const result = loadTenants(dirs[n]);
        times[n].push(performance.now() - t0);
        if (result.problems.length > 0 || result.specs.length !== n) throw new Error(`generated files are invalid: ${result.problems[0]?.message}`);
    }
}
// The CLI end to end (process start included), once per size.
const cli = (dir: string) => {
    const t0 = performance.now();
    execFileSync("npm", ["run", "--silent", "validate", "--", dir], { cwd: path.join(__dirname, "..", ".."), stdio: "pipe" });
    return performance.now() - t0;
};
const cli100 = cli(dirs[100]);
const cli1000 = cli(dirs[1000]);
fs.rmSync(root, { recursive: true, force: true });

const m100 = median(times[100]);
const m1000 = median(times[1000]);
const ratio = m1000 / m100;
console.log(`validator, in process (median of ${rounds} rounds, alternating sizes):`);
console.log(`  100 files:   ${m100.toFixed(1)} ms  (${(m100 / 100).toFixed(3)} ms/file)`);
console.log(`  1000 files:  ${m1000.toFixed(1)} ms  (${(m1000 / 1000).toFixed(3)} ms/file)`);
console.log(`  ratio 1000/100: ${ratio.toFixed(2)}x (limit 12x) ${ratio <= 12 ? "OK" : "OVER LIMIT"}`);
console.log(`validator CLI, npm run --silent validate (one run each, includes process start):`);
console.log(`  100 files:   ${cli100.toFixed(0)} ms`);
console.log(`  1000 files:  ${cli1000.toFixed(0)} ms`);
if (ratio > 12) process.exitCode = 1;
