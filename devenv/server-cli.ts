/**
 * Running the server CLI (`runtime/bin/mokowaas`) of this checkout against a MOKOWAAS_ROOT, with
 * stdin for secrets, as the control plane does over SSH: the toolchain's PHP, with its PHP and MySQL
 * client folders first on PATH (what a server has).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { serverPath, toolchain } from "./toolchain";

export const MOKOWAAS_BIN = path.resolve(__dirname, "../runtime/bin/mokowaas");
export const PHP_USER = "www-data";

export interface CliResult {
    status: number;
    stdout: string;
    stderr: string;
}

/** Runs the server CLI against `root` (synchronously), stdin as given. */
export function mokowaas(root: string, args: string[], input = "", env: Record<string, string> = {}): CliResult {
    const r = spawnSync(toolchain().php.bin, [MOKOWAAS_BIN, ...args], {
        input, encoding: "utf8", env: { PATH: serverPath(), MOKOWAAS_ROOT: root, ...env },
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, as a child process (for concurrency tests). */
export function mokowaasAsync(root: string, args: string[], input = ""): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(toolchain().php.bin, [MOKOWAAS_BIN, ...args], {
            env: { PATH: serverPath(), MOKOWAAS_ROOT: root },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
        child.stdin.end(input);
    });
}

/** Runs PHP code with the data plane's classes loaded (e.g. Registry::setState, which has no verb). */
export function php(root: string, code: string): CliResult {
    const autoload = path.resolve(__dirname, "../runtime/src/autoload.php");
    const r = spawnSync(toolchain().php.bin, ["-r", `require ${JSON.stringify(autoload)}; ${code}`], {
        encoding: "utf8", env: { PATH: serverPath(), MOKOWAAS_ROOT: root },
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Makes every folder from `dir` up to / traversable by others (the PHP user must reach the root). */
export function makeTraversable(dir: string): void {
    for (let d = path.resolve(dir); d !== "/"; d = path.dirname(d)) {
        fs.chmodSync(d, fs.statSync(d).mode | 0o755);
    }
}

export function check(r: CliResult, what: string): CliResult {
    if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r;
}
