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

// ---- who may read which secret (docs/fleet.md, "Pull request previews" and "Secrets") ----

/** Production secrets: the state, its passphrase and write-capable provider tokens. Only the deploy workflow reads them. */
export const PRODUCTION_SECRETS = [
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_BACKEND_URL",
    "BACKEND_ACCESS_KEY_ID",
    "BACKEND_SECRET_ACCESS_KEY",
    "HCLOUD_TOKEN",
    "DIGITALOCEAN_TOKEN",
    "DREAMHOST_API_KEY",
] as const;

/** What a pull request's preview may read: read-only keys, and on Gitea the commenting bot's token. */
export const PREVIEW_SECRETS = [
    "PREVIEW_BACKEND_URL",
    "PREVIEW_BACKEND_ACCESS_KEY_ID",
    "PREVIEW_BACKEND_SECRET_ACCESS_KEY",
    "PREVIEW_HCLOUD_TOKEN",
    "PREVIEW_DIGITALOCEAN_TOKEN",
    "PREVIEW_DREAMHOST_API_KEY",
    "FORGE_TOKEN",
] as const;

/** The job conditions that split a pull request's runs: from a branch of this repository, or from a fork. */
export const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";
export const FROM_FORK = "github.event.pull_request.head.repo.full_name != github.repository";
/** The deploy job's condition: whatever branch a manual run picks, production changes from main only. */
export const MAIN_ONLY = "github.ref == 'refs/heads/main'";

const condition = (v: unknown) => (typeof v === "string" ? v.replace(/^\$\{\{\s*|\s*\}\}$/g, "").replace(/\s+/g, " ").trim() : "");

/** The events a workflow runs on, whatever form `on:` takes. */
export function eventsOf(on: unknown): string[] {
    if (typeof on === "string") return [on];
    if (Array.isArray(on)) return on.map(String);
    return isMap(on) ? Object.keys(on) : [];
}

/**
 * The secret policy: no `pull_request_target`; in a pull-request workflow no job reads a
 * production secret, a job reading any secret runs for this repository's branches only, a job for
 * forks exists and reads none, permissions are read-only but for the job that comments, checkouts
 * keep no token; a job reading production secrets runs on main (push, manual, and `if:` main
 * only), and on GitHub in the protected `prod` environment.
 */
export function checkSecretPolicy(file: string, text: string): WorkflowProblem[] {
    const problems: WorkflowProblem[] = [];
    const add = (message: string) => problems.push({ file, message });
    const wf = parseDocument(text).toJS() as Record<string, unknown> | null;
    if (!isMap(wf) || !isMap(wf.jobs)) return [{ file, message: "not a workflow" }];
    const events = eventsOf(wf.on);
    if (events.includes("pull_request_target")) add("on: pull_request_target runs a pull request with this repository's secrets and write token: use pull_request");
    const onPr = events.includes("pull_request");
    const topSecrets = secretsUsed(JSON.stringify(wf.env ?? {}));
    if (onPr && topSecrets.length > 0) add(`env: a pull-request workflow reads ${topSecrets.join(", ")} for every job, forks' included`);
    if (onPr && !(isMap(wf.permissions) && Object.keys(wf.permissions).length === 0)) add("permissions: a pull-request workflow grants nothing by default (permissions: {}); each job asks for what it needs");
    let forkJob = false;
    for (const [id, job] of Object.entries(wf.jobs)) {
        if (!isMap(job)) continue;
        const used = [...new Set([...topSecrets, ...secretsUsed(JSON.stringify(job))])];
        const production = used.filter((s) => (PRODUCTION_SECRETS as readonly string[]).includes(s));
        const where = `jobs.${id}`;
        if (!onPr) {
            if (production.length === 0) continue;
            const push = isMap(wf.on) && isMap(wf.on.push) ? wf.on.push : undefined;
            if (events.some((e) => e !== "push" && e !== "workflow_dispatch")) add(`${where}: reads production secrets, so it may run on push to main and by hand only, not on ${events.join(", ")}`);
            if (events.includes("push") && JSON.stringify(push?.branches) !== JSON.stringify(["main"])) add(`${where}: reads production secrets on push: limit it to branches: [main]`);
            if (condition(job.if) !== MAIN_ONLY) add(`${where}: reads production secrets, and a manual run may pick any branch: gate it with if: ${MAIN_ONLY}`);
            if (file.startsWith(".github/") && job.environment !== "prod") add(`${where}: reads production secrets outside the protected environment: set environment: prod`);
            continue;
        }
        if (production.length > 0) add(`${where}: a pull request's code would run with production secret(s) ${production.join(", ")}: previews use the PREVIEW_* ones`);
        const other = used.filter((s) => !(PREVIEW_SECRETS as readonly string[]).includes(s) && !production.includes(s));
        if (other.length > 0) add(`${where}: reads ${other.join(", ")}, which is not a preview secret (${PREVIEW_SECRETS.join(", ")})`);
        const gate = condition(job.if);
        if (used.length > 0 && gate !== SAME_REPO) add(`${where}: reads secrets and may run for a fork's pull request: gate it with if: ${SAME_REPO}`);
        const perms = job.permissions;
        const steps = Array.isArray(job.steps) ? (job.steps as unknown[]) : [];
        const runs = (what: string) => steps.some((s) => isMap(s) && typeof s.run === "string" && s.run.includes(what));
        if (gate === FROM_FORK && used.length === 0 && runs("tenant-diff")) forkJob = true;
        const comments = runs("fleet/pr-comment.ts");
        const allowed: Record<string, string> = comments ? { contents: "read", "pull-requests": "write" } : { contents: "read" };
        if (!isMap(perms) || JSON.stringify(perms) !== JSON.stringify(allowed)) add(`${where}.permissions: must be exactly ${JSON.stringify(allowed)}${comments ? " (it posts the comment)" : ""}`);
        steps.forEach((s, i) => {
            if (isMap(s) && typeof s.uses === "string" && s.uses.startsWith("actions/checkout@") && !(isMap(s.with) && s.with["persist-credentials"] === false)) {
                add(`${where}.steps[${i}]: checkout keeps the job token in .git/config for the PR's code: set persist-credentials: false`);
            }
        });
    }
    if (onPr && !forkJob) add(`jobs: no job for a fork's pull request (if: ${FROM_FORK}, no secrets, running tenant-diff): forks would get nothing, not even the tenant diff`);
    return problems;
}
