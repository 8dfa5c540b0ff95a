/**
 * How a service binary runs: as a child of this process (tests: it goes away with the run) or as
 * a daemon (`npm run local`: it outlives the script and is found again through its pid file).
 * Either way its output goes to a log file and it is stopped by pid, with a grace period.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";

export interface Launched {
    pid: number;
    /** True once the process is gone. */
    exited(): boolean;
    /** Sends `signal`, waits up to `graceMs`, then SIGKILL. */
    stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
    env?: NodeJS.ProcessEnv;
    /** Receives stdout and stderr (appended). */
    logFile: string;
    /** Detach into its own session and leave it running when this process ends. */
    daemon?: boolean;
    /** Written with the pid (a daemon is found again through it). */
    pidFile?: string;
}

export function which(cmd: string): string | undefined {
    const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

export function launch(bin: string, args: string[], opts: LaunchOptions): Launched {
    const out = fs.openSync(opts.logFile, "a");
    const child = spawn(bin, args, { env: opts.env ?? process.env, stdio: ["ignore", out, out], detached: opts.daemon ?? false });
    fs.closeSync(out);
    if (child.pid === undefined) throw new Error(`could not start ${bin}`);
    const pid = child.pid;
    if (opts.pidFile) fs.writeFileSync(opts.pidFile, `${pid}\n`);
    let exited = false;
    child.on("exit", () => (exited = true));
    if (opts.daemon) child.unref();
    return {
        pid,
        exited: () => exited || !alive(pid),
        stop: (signal = "SIGTERM", graceMs = 10_000) => stopPid(pid, signal, graceMs),
    };
}

/** True when `pid` is a live process (a zombie counts as gone) whose command line mentions `name`, if given. */
export function alive(pid: number, name?: string): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (/^\d+ \(.*\) Z/.test(stat)) return false;
        if (name === undefined) return true;
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(name);
    } catch {
        return false;
    }
}

/** The pid in `pidFile` when that process is alive and is `name` (pid reuse is not mistaken for it). */
export function runningPid(pidFile: string, name: string): number | undefined {
    if (!fs.existsSync(pidFile)) return undefined;
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid, name) ? pid : undefined;
}

export async function stopPid(pid: number, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
    const send = (s: NodeJS.Signals) => {
        try {
            process.kill(pid, s);
        } catch {
            // already gone
        }
    };
    if (!alive(pid)) return;
    send(signal);
    const until = Date.now() + graceMs;
    while (alive(pid)) {
        if (Date.now() > until) {
            send("SIGKILL");
            await new Promise((r) => setTimeout(r, 200));
            return;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}
