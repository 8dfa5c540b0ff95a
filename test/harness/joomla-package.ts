/**
 * Real Joomla releases for tests, from the verified Full Packages scripts/setup.sh put in the
 * cache (devenv/toolchain.ts). Each version is unpacked once per machine into a pristine folder
 * that nothing writes into; a test gets a hard-linked copy (seconds instead of unpacking 113 MB
 * again). Every writer on the platform replaces files (write + rename) rather than editing them,
 * so a copy never changes the pristine tree.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { joomlaPackage } from "../../devenv/toolchain";

/** The pristine unpacked package of `version` (made on first use; safe against parallel test workers). */
export function pristineJoomla(version: string): string {
    const pkg = joomlaPackage(version);
    const dir = path.join(os.tmpdir(), `mokowaas-joomla-${version}-${pkg.sha512.slice(0, 16)}`);
    if (fs.existsSync(path.join(dir, "includes/defines.php"))) return dir;
    const partial = `${dir}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
    fs.mkdirSync(partial, { recursive: true });
    const r = spawnSync("tar", ["--zstd", "-xf", pkg.file, "-C", partial], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`unpacking ${pkg.file} failed: ${r.stderr}`);
    try {
        fs.renameSync(partial, dir);
    } catch {
        // Another worker finished first: use its copy.
        fs.rmSync(partial, { recursive: true, force: true });
    }
    fs.chmodSync(dir, 0o755);
    return dir;
}

/**
 * A copy of Joomla `version` at `dest` (hard links). `installer: false` leaves out installation/,
 * as the platform serves a release (`release bootstrap` refuses one that has it).
 */
export function joomlaRelease(version: string, dest: string, opts: { installer?: boolean } = {}): string {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const r = spawnSync("cp", ["-al", pristineJoomla(version), dest], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`copying Joomla ${version} to ${dest} failed: ${r.stderr}`);
    if (opts.installer === false) fs.rmSync(path.join(dest, "installation"), { recursive: true, force: true });
    return dest;
}
