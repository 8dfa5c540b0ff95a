import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkWorkflow, secretsUsed, stepNames, workflowFiles } from "../../fleet/workflow-check";

const repo = path.join(__dirname, "..", "..");
const read = (f: string) => fs.readFileSync(path.join(repo, f), "utf8");
const files = workflowFiles(repo);

/** actionlint from PATH or .cache/bin (built by scripts/lint-workflows.sh when go is present), else the reason it is missing. */
function actionlint(): { bin?: string; reason?: string } {
    const r = spawnSync("bash", [path.join(repo, "scripts", "lint-workflows.sh"), "--install-only"], { encoding: "utf8", timeout: 600_000 });
    if (r.status === 0) return { bin: r.stdout.trim().split("\n").pop() };
    return { reason: (r.stderr || `exit ${r.status}`).trim().split("\n").pop() };
}
const lint = actionlint();
if (!lint.bin) console.warn(`\n*** SKIPPING actionlint: ${lint.reason} — only the structural YAML check ran ***\n`);

describe("CI workflows", () => {
    it("exist for both forges: a PR preview and a merge-to-main up", () => {
        expect(files).toEqual([".github/workflows/fleet-preview.yml", ".github/workflows/fleet-up.yml", ".gitea/workflows/fleet-preview.yml", ".gitea/workflows/fleet-up.yml"]);
    });

    it("pass the structural check (pinned actions, one of uses/run per step, jobs with runs-on)", () => {
        expect(files.flatMap((f) => checkWorkflow(f, read(f)))).toEqual([]);
    });

    it("the structural check does catch a broken workflow", () => {
        const problems = checkWorkflow("bad.yml", "name: x\non: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout\n        run: echo\n");
        expect(problems.map((p) => p.message)).toEqual([
            "jobs.a.runs-on: missing",
            "jobs.a.steps[0]: needs exactly one of uses or run",
            'jobs.a.steps[0].uses: "actions/checkout" must name a pinned version (owner/repo@ref)',
        ]);
    });

    it("read only secrets that docs/fleet.md lists", () => {
        const doc = read("docs/fleet.md");
        const used = [...new Set(files.flatMap((f) => secretsUsed(read(f))))];
        expect(used.length).toBeGreaterThan(5);
        expect(used.filter((s) => !doc.includes(`\`${s}\``))).toEqual([]);
    });

    it("the Gitea twins run the same steps as the GitHub workflows", () => {
        for (const name of ["fleet-preview.yml", "fleet-up.yml"]) {
            expect(stepNames(read(`.gitea/workflows/${name}`)), name).toEqual(stepNames(read(`.github/workflows/${name}`)));
        }
    });

    it.skipIf(!lint.bin)("pass actionlint", () => {
        const r = spawnSync(lint.bin!, ["-no-color", ...files], { cwd: repo, encoding: "utf8" });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    it.skipIf(!lint.bin)("actionlint does fail a workflow with an error", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
        try {
            const bad = path.join(dir, "bad.yml");
            fs.writeFileSync(bad, "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nosuch.thing }}\n");
            let out = "";
            try {
                execFileSync(lint.bin!, ["-no-color", bad], { encoding: "utf8" });
            } catch (e) {
                out = (e as { stdout: string }).stdout;
            }
            expect(out).toMatch(/bad\.yml:7:.*nosuch/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
