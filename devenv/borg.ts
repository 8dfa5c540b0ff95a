/**
 * Borg for a private platform root: the real borg from Debian, its repository, keys and cache
 * inside that root (BORG_BASE_DIR), a repokey passphrase in the root-only file the CLI reads.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { serverLayout } from "../components/rules";

/** Environment for processes that run borg for this root (no ~/.config or ~/.cache of the user touched). */
export function borgEnv(root: string): Record<string, string> {
    const base = path.join(root, "borg-home");
    fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    return { BORG_BASE_DIR: base, BORG_RELOCATED_REPO_ACCESS_IS_OK: "no", BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "no" };
}

/** Writes a random passphrase to the platform's passphrase file (0600) and returns the file. */
export function writePassphrase(root: string): string {
    const file = serverLayout(root).borgPassphrase;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(24).toString("hex") + "\n", { mode: 0o600 });
    return file;
}

/** Archive names in `repo`, read with borg itself (passphrase through BORG_PASSCOMMAND, never argv). */
export function archives(root: string, repo: string): string[] {
    const pass = serverLayout(root).borgPassphrase;
    const r = spawnSync("borg", ["list", "--short", repo], {
        encoding: "utf8",
        env: { ...process.env, ...borgEnv(root), BORG_PASSCOMMAND: `cat ${pass}` },
    });
    if (r.status !== 0) throw new Error(`borg list failed: ${r.stderr}`);
    return r.stdout.split("\n").filter(Boolean);
}
