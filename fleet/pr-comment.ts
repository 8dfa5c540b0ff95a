/**
 * The pull request's one fleet comment, created once and edited in place on every push. Works on
 * GitHub and Gitea alike: both serve the same issue-comment endpoints (list, create, edit) under
 * their API base (`https://api.github.com`, `<gitea>/api/v1`). The comment is found again by a
 * hidden marker. The token comes from the environment (FORGE_TOKEN), never from argv.
 *
 *   tsx fleet/pr-comment.ts --api URL --repo OWNER/NAME --pr N [--tenant-diff FILE]
 *     [--fleet-json FILE] [--fleet-log FILE] [--validate-log FILE] [--run-url URL] [--sha SHA]
 */
import * as fs from "node:fs";
import type { FleetReport } from "./summary";
import { fence as block, formatMarkdown } from "./summary";

export const MARKER = "<!-- mokowaas-fleet-preview -->";
/** GitHub refuses comments over 65,536 characters; Gitea allows more. */
const MAX_BODY = 65_000;

export interface CommentInputs {
    tenantDiff?: string;
    fleetJson?: string;
    fleetLog?: string;
    validateLog?: string;
    runUrl?: string;
    sha?: string;
}

const tail = (text: string, lines = 40) => text.trimEnd().split("\n").slice(-lines).join("\n");

/** The comment body: marker, what was compared, validation problems, the tenant diff, the stack previews. */
export function commentBody(i: CommentInputs): string {
    const parts = [MARKER, "## MokoWaaS fleet preview", ""];
    const where = [i.sha ? `commit \`${i.sha.slice(0, 12)}\`` : "", i.runUrl ? `[workflow run](${i.runUrl})` : ""].filter(Boolean).join(" · ");
    if (where) parts.push(where, "");
    if (i.validateLog?.trim()) parts.push("### ❌ Tenant files do not validate", "", block(tail(i.validateLog, 60)), "");
    parts.push(i.tenantDiff?.trim() ? i.tenantDiff.trim() : "_tenant-diff produced no output: see the workflow run._", "");
    parts.push("### Stack previews", "");
    let report: FleetReport | undefined;
    if (i.fleetJson?.trim()) {
        try {
            const parsed = JSON.parse(i.fleetJson) as FleetReport;
            if (parsed.version === 1 && Array.isArray(parsed.outcomes)) report = parsed;
        } catch {
            // Falls through to "did not run" with the log: a half-written JSON is not a report.
        }
    }
    if (report) {
        const used = parts.join("\n").length;
        parts.push(formatMarkdown(report, Math.max(2_000, MAX_BODY - used - 500)));
    } else {
        parts.push("**fleet preview did not run to the end**, so no stack preview is shown.", "");
        if (i.fleetLog?.trim()) parts.push(block(tail(i.fleetLog)), "");
    }
    const body = parts.join("\n");
    return body.length > MAX_BODY ? body.slice(0, MAX_BODY - 100) + "\n\n_(cut to the forge's comment size limit)_\n" : body;
}

export interface ForgeTarget {
    /** API base: https://api.github.com or https://gitea.example.com/api/v1 */
    api: string;
    repo: string;
    pr: number;
    token: string;
}

interface Comment {
    id: number;
    body?: string;
}

async function call(t: ForgeTarget, method: string, p: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${t.api.replace(/\/$/, "")}${p}`, {
        method,
        headers: {
            Authorization: `token ${t.token}`,
            Accept: "application/json",
            "Content-Type": "application/json",
            "User-Agent": "mokowaas-fleet",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
        const text = (await res.text()).slice(0, 500);
        throw new Error(`${method} ${p}: HTTP ${res.status}: ${text}`);
    }
    return res.status === 204 ? undefined : res.json();
}

/** Every comment of the PR. GitHub pages (per_page, page); Gitea ignores them and answers all at once. */
async function listComments(t: ForgeTarget): Promise<Comment[]> {
    const all: Comment[] = [];
    const seen = new Set<number>();
    for (let page = 1; page <= 100; page++) {
        const batch = (await call(t, "GET", `/repos/${t.repo}/issues/${t.pr}/comments?per_page=100&limit=100&page=${page}`)) as Comment[];
        const fresh = batch.filter((c) => !seen.has(c.id));
        for (const c of fresh) seen.add(c.id);
        all.push(...fresh);
        if (batch.length < 100 || fresh.length === 0) break;
    }
    return all;
}

/** Edits the marked comment if there is one (the oldest, should several exist), else creates it. */
export async function upsertComment(t: ForgeTarget, body: string): Promise<{ action: "created" | "updated"; id: number }> {
    if (!body.includes(MARKER)) throw new Error("comment body lacks the marker: it could never be found again");
    const mine = (await listComments(t)).filter((c) => c.body?.includes(MARKER)).sort((a, b) => a.id - b.id)[0];
    if (mine) {
        await call(t, "PATCH", `/repos/${t.repo}/issues/comments/${mine.id}`, { body });
        return { action: "updated", id: mine.id };
    }
    const created = (await call(t, "POST", `/repos/${t.repo}/issues/${t.pr}/comments`, { body })) as Comment;
    return { action: "created", id: created.id };
}

function readOptional(file: string | undefined): string | undefined {
    return file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
    const opts = new Map<string, string>();
    for (let i = 0; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
            console.error(`pr-comment: expected --option value pairs, got "${argv[i]}"`);
            return 2;
        }
        opts.set(argv[i].slice(2), argv[i + 1]);
    }
    const api = opts.get("api");
    const repo = opts.get("repo");
    const pr = Number(opts.get("pr"));
    const token = env.FORGE_TOKEN;
    if (!api || !repo || !/^[^/]+\/[^/]+$/.test(repo) || !Number.isInteger(pr) || pr < 1) {
        console.error("pr-comment: needs --api URL --repo OWNER/NAME --pr NUMBER");
        return 2;
    }
    if (!token) {
        console.error("pr-comment: FORGE_TOKEN is not set (the forge token allowed to comment on pull requests)");
        return 2;
    }
    const body = commentBody({
        tenantDiff: readOptional(opts.get("tenant-diff")),
        fleetJson: readOptional(opts.get("fleet-json")),
        fleetLog: readOptional(opts.get("fleet-log")),
        validateLog: readOptional(opts.get("validate-log")),
        runUrl: opts.get("run-url"),
        sha: opts.get("sha"),
    });
    const r = await upsertComment({ api, repo, pr, token }, body);
    console.log(`pr-comment: ${r.action} comment ${r.id} on ${repo}#${pr}`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2), process.env).then(
        (code) => (process.exitCode = code),
        (e: unknown) => {
            console.error(`pr-comment: ${e instanceof Error ? e.message : String(e)}`);
            process.exitCode = 1;
        },
    );
}
