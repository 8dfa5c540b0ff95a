import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { checkSecretPolicy, checkWorkflow, eventsOf, FROM_FORK, MAIN_ONLY, PREVIEW_SECRETS, PRODUCTION_SECRETS, SAME_REPO, secretsUsed, stepNames, workflowFiles } from "../../fleet/workflow-check";

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

type Job = { if?: string; environment?: string; permissions?: Record<string, string>; steps: { name?: string; uses?: string; run?: string }[] };
const parsed = (f: string) => parseDocument(read(f)).toJS() as { on: unknown; jobs: Record<string, Job> };
const previews = files.filter((f) => f.endsWith("/fleet-preview.yml"));
const production = (text: string) => secretsUsed(text).filter((s) => (PRODUCTION_SECRETS as readonly string[]).includes(s));

describe("secrets in CI: a pull request's code never runs with a production secret", () => {
    it("every workflow follows the secret policy (fleet/workflow-check.ts checkSecretPolicy)", () => {
        expect(files.flatMap((f) => checkSecretPolicy(f, read(f)))).toEqual([]);
    });

    it("no workflow runs on pull_request_target", () => {
        for (const f of files) expect(eventsOf(parsed(f).on), f).not.toContain("pull_request_target");
    });

    it("the preview jobs reference no production secret, only read-only preview ones", () => {
        expect(previews).toHaveLength(2);
        for (const f of previews) {
            for (const [id, job] of Object.entries(parsed(f).jobs)) {
                const used = secretsUsed(JSON.stringify(job));
                expect(production(JSON.stringify(job)), `${f} ${id}`).toEqual([]);
                expect(used.filter((s) => !(PREVIEW_SECRETS as readonly string[]).includes(s)), `${f} ${id}`).toEqual([]);
            }
        }
    });

    it("a fork's pull request gets one job, with no secret at all, that runs the tenant diff and no engine", () => {
        for (const f of previews) {
            const forkJobs = Object.entries(parsed(f).jobs).filter(([, j]) => j.if === FROM_FORK);
            expect(forkJobs.map(([id]) => id), f).toEqual(["tenant-diff"]);
            const [, job] = forkJobs[0];
            expect(JSON.stringify(job)).not.toContain("secrets.");
            expect(job.permissions).toEqual({ contents: "read" });
            const runs = job.steps.map((s) => s.run ?? "").join("\n");
            expect(runs).toContain("npm run --silent tenant-diff");
            for (const engine of ["install-pulumi", "preview-state", "fleet --", "pr-comment"]) expect(runs, engine).not.toContain(engine);
        }
    });

    it("the stack preview runs for this repository's branches only, against the preview state, without tunnels", () => {
        for (const f of previews) {
            const job = parsed(f).jobs.preview;
            expect(job.if, f).toBe(SAME_REPO);
            expect(job.permissions).toEqual({ contents: "read", "pull-requests": "write" });
            const runs = job.steps.map((s) => s.run ?? "").join("\n");
            expect(runs).toContain("npm run --silent preview-state -- fetch");
            expect(runs).toMatch(/fleet -- preview --changed "\$BASE_SHA\.\.\.HEAD" --no-tunnel --json/);
        }
    });

    it("only the deploy workflow references the production secrets, on main, in the prod environment on GitHub", () => {
        for (const f of files) {
            const used = production(read(f));
            if (f.endsWith("/fleet-up.yml")) expect(used.sort(), f).toEqual([...PRODUCTION_SECRETS].sort());
            else expect(used, f).toEqual([]);
        }
        expect(parsed(".github/workflows/fleet-up.yml").jobs.up.environment).toBe("prod");
        for (const f of files.filter((x) => x.endsWith("/fleet-up.yml"))) expect(parsed(f).jobs.up.if, f).toBe(MAIN_ONLY);
        for (const f of files.filter((x) => x.endsWith("/fleet-up.yml"))) {
            expect(parsed(f).on).toMatchObject({ push: { branches: ["main"] } });
            expect(eventsOf(parsed(f).on).sort()).toEqual(["push", "workflow_dispatch"]);
            expect(read(f)).toContain("npm run --silent preview-state -- publish");
        }
    });

    it("the policy check does catch a workflow that leaks", () => {
        const base = (jobs: string, on = "pull_request:\n    branches: [main]", perms = "permissions: {}\n") => `name: x\non:\n  ${on}\n${perms}jobs:\n${jobs}`;
        const fork = `  diff:\n    if: ${FROM_FORK}\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - run: npm run --silent tenant-diff -- a...b\n`;
        const job = (body: string, gate = SAME_REPO, perms = "contents: read") => `  p:\n    if: ${gate}\n    runs-on: ubuntu-latest\n    permissions:\n      ${perms}\n    steps:\n${body}`;
        const messages = (text: string, file = ".github/workflows/x.yml") => checkSecretPolicy(file, text).map((p) => p.message).join("\n");

        expect(messages(base(fork + job("      - run: echo ok\n")))).toBe("");
        expect(messages(base(fork + job("      - run: echo ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n")))).toMatch(/production secret\(s\) PULUMI_CONFIG_PASSPHRASE/);
        expect(messages(base(fork + job("      - run: echo ${{ secrets.PREVIEW_HCLOUD_TOKEN }}\n", "always()")))).toMatch(/may run for a fork's pull request/);
        expect(messages(base(fork + job("      - run: echo ${{ secrets.SOMETHING_ELSE }}\n")))).toMatch(/SOMETHING_ELSE, which is not a preview secret/);
        expect(messages(base(job("      - run: echo ok\n")))).toMatch(/no job for a fork's pull request/);
        expect(messages(base(fork + job("      - run: echo ok\n", SAME_REPO, "contents: write")))).toMatch(/permissions: must be exactly/);
        expect(messages(base(fork + job("      - uses: actions/checkout@v4\n")))).toMatch(/persist-credentials: false/);
        expect(messages(base(fork + job("      - run: echo ok\n"), "pull_request:\n    branches: [main]", "permissions: write-all\n"))).toMatch(/permissions: \{\}/);
        expect(messages(base(fork, "pull_request_target:\n    branches: [main]"))).toMatch(/pull_request_target runs a pull request with this repository's secrets/);
        const deploy = (on: string, env = "    environment: prod\n", gate = `    if: ${MAIN_ONLY}\n`) => `name: up\non:\n  ${on}\njobs:\n  up:\n${gate}    runs-on: ubuntu-latest\n${env}    steps:\n      - run: echo \${{ secrets.HCLOUD_TOKEN }}\n`;
        expect(messages(deploy("push:\n    branches: [main]"))).toBe("");
        expect(messages(deploy("push:\n    branches: [main]", ""))).toMatch(/set environment: prod/);
        expect(messages(deploy("push:\n    branches: [main]", ""), ".gitea/workflows/x.yml")).toBe(""); // Gitea has no environments
        expect(messages(deploy("push:\n    branches: ['**']"))).toMatch(/limit it to branches: \[main\]/);
        expect(messages(deploy("schedule:\n    - cron: '0 0 * * *'"))).toMatch(/on push to main and by hand only/);
        expect(messages(deploy("workflow_dispatch:", "    environment: prod\n", ""))).toMatch(/a manual run may pick any branch: gate it with if: github.ref == 'refs\/heads\/main'/);
    });
});
