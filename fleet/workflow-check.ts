/**
 * A structural check of the CI workflow files that needs no tool beyond the `yaml` package: the
 * fallback when actionlint cannot be built, and a check of the rules actionlint does not know
 * (every secret a workflow reads is documented; action versions are pinned).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

export interface WorkflowProblem {
    file: string;
    message: string;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Workflow files of both forges under `repo`. */
export function workflowFiles(repo: string): string[] {
    return [".github/workflows", ".gitea/workflows"].flatMap((dir) => {
        const abs = path.join(repo, dir);
        return fs.existsSync(abs) ? fs.readdirSync(abs).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f)) : [];
    });
}

export function checkWorkflow(file: string, text: string): WorkflowProblem[] {
    const problems: WorkflowProblem[] = [];
    const add = (message: string) => problems.push({ file, message });
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) return doc.errors.map((e) => ({ file, message: `YAML: ${e.message.split("\n")[0]}` }));
    const wf: unknown = doc.toJS();
    if (!isMap(wf)) return [{ file, message: "not a mapping" }];
    if (typeof wf.name !== "string") add("name: missing");
    if (wf.on === undefined) add("on: missing (no event would run it)");
    if (!isMap(wf.jobs) || Object.keys(wf.jobs).length === 0) {
        add("jobs: missing or empty");
        return problems;
    }
    for (const [id, job] of Object.entries(wf.jobs)) {
        if (!isMap(job)) {
            add(`jobs.${id}: not a mapping`);
            continue;
        }
        if (job["runs-on"] === undefined) add(`jobs.${id}.runs-on: missing`);
        if (!Array.isArray(job.steps) || job.steps.length === 0) {
            add(`jobs.${id}.steps: missing or empty`);
            continue;
        }
        job.steps.forEach((step: unknown, i: number) => {
            const where = `jobs.${id}.steps[${i}]`;
            if (!isMap(step)) {
                add(`${where}: not a mapping`);
                return;
            }
            const has = ["uses", "run"].filter((k) => step[k] !== undefined);
            if (has.length !== 1) add(`${where}: needs exactly one of uses or run`);
            if (typeof step.uses === "string" && !/^[\w.-]+\/[\w./-]+@[\w.-]+$/.test(step.uses)) add(`${where}.uses: "${step.uses}" must name a pinned version (owner/repo@ref)`);
        });
    }
    return problems;
}

/** Secret names a workflow reads (`secrets.NAME`). */
export function secretsUsed(text: string): string[] {
    return [...new Set([...text.matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))].sort();
}

/** Step names per job, to keep the GitHub and Gitea twins doing the same thing. */
export function stepNames(text: string): Record<string, string[]> {
    const wf = parseDocument(text).toJS() as { jobs?: Record<string, { steps?: { name?: string; uses?: string }[] }> };
    return Object.fromEntries(Object.entries(wf.jobs ?? {}).map(([id, job]) => [id, (job.steps ?? []).map((s) => s.name ?? s.uses ?? "?")]));
}
