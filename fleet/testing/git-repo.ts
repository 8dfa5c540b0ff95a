/** Test helper: a throwaway git repository with tenant files, for change detection and tenant-diff tests. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export class TempRepo {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-repo-"));

    constructor() {
        this.git("init", "-q", "-b", "main");
        this.git("config", "user.email", "test@example.invalid");
        this.git("config", "user.name", "fleet test");
        this.git("config", "commit.gpgsign", "false");
    }

    git(...args: string[]): string {
        return execFileSync("git", args, { cwd: this.dir, encoding: "utf8" });
    }

    write(file: string, text: string): this {
        const p = path.join(this.dir, file);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, text);
        return this;
    }

    remove(file: string): this {
        this.git("rm", "-q", "--", file);
        return this;
    }

    move(from: string, to: string): this {
        this.git("mv", "--", from, to);
        return this;
    }

    /** Commits everything and returns the commit id. */
    commit(message: string): string {
        this.git("add", "-A");
        this.git("commit", "-q", "--allow-empty", "-m", message);
        return this.git("rev-parse", "HEAD").trim();
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** A valid tenant YAML; `extra` lines are appended verbatim (YAML). */
export function tenantYaml(name: string, opts: { platform?: string; online?: boolean; aliases?: string[]; extra?: string } = {}): string {
    const lines = [
        `displayName: ${name} site`,
        `platform: ${opts.platform ?? "prod"}`,
        "domains:",
        `  production: ${name}.example.com`,
    ];
    if (opts.aliases?.length) lines.push("  aliases:", ...opts.aliases.map((a) => `    - ${a}`));
    if (opts.online !== undefined) lines.push(`online: ${opts.online}`);
    lines.push("admin:", `  username: ${name}-admin`, `  email: admin@${name}.example.com`);
    if (opts.extra) lines.push(opts.extra);
    return lines.join("\n") + "\n";
}
