/** The few git reads the fleet tools need, run with argv (never a shell) in a given repository. */
import { execFileSync } from "node:child_process";

export class GitError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "GitError";
    }
}

export function git(repo: string, args: string[]): string {
    try {
        return execFileSync("git", args, { cwd: repo, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new GitError(`git ${args.join(" ")}: ${(err.stderr || err.message).trim()}`);
    }
}

/** Full commit id of a revision, or a clear error saying how to make it available. */
export function resolveCommit(repo: string, rev: string): string {
    try {
        return git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).trim();
    } catch {
        throw new GitError(
            `revision "${rev}" is not a commit in ${repo}: fetch it first (in CI check out with full history, e.g. actions/checkout fetch-depth: 0)`,
        );
    }
}

/** A file's text at a commit, or undefined when the path does not exist there. */
export function showFile(repo: string, commit: string, file: string): string | undefined {
    const listed = git(repo, ["ls-tree", "--name-only", commit, "--", file]).trim();
    if (listed !== file) return undefined;
    return git(repo, ["show", `${commit}:${file}`]);
}

/** Paths (relative to the repository root) of the files at a commit under a folder. */
export function listFiles(repo: string, commit: string, folder: string): string[] {
    const out = git(repo, ["ls-tree", "-z", "--name-only", commit, "--", `${folder.replace(/\/$/, "")}/`]);
    return out.split("\0").filter(Boolean);
}

export interface Range {
    /** As the user wrote it, for messages. */
    text: string;
    base: string;
    head: string;
}

/**
 * Parses `BASE..HEAD` (compare the two commits) or `BASE...HEAD` (compare HEAD with the merge base,
 * i.e. only what HEAD's branch did) and resolves both ends to commit ids.
 */
export function resolveRange(repo: string, text: string): Range {
    const m = /^([^.\s][^\s]*?)(\.\.\.?)([^.\s][^\s]*)$/.exec(text);
    if (!m) throw new GitError(`"${text}" is not a range: write BASE..HEAD, e.g. origin/main..HEAD`);
    const [, baseRev, dots, headRev] = m;
    const head = resolveCommit(repo, headRev);
    let base = resolveCommit(repo, baseRev);
    if (dots === "...") base = git(repo, ["merge-base", base, head]).trim();
    return { text, base, head };
}
