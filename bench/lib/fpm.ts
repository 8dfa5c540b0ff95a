/**
 * PHP-FPM helpers for the benchmarks: a master's processes with their memory, a reload that waits
 * for the master to come back, and a second master with one pool of the shape the platform shipped
 * before tenant pools (one shared pool, no open_basedir, opcache without permission checks).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fpmBinary, shippedOpcacheIni } from "../../devenv/php-fpm";
import { launch } from "../../devenv/process";
import { serverPath } from "../../devenv/toolchain";

export interface FpmProcess {
    pid: number;
    /** "master" or the pool name. */
    pool: string;
    rssKb: number;
    pssKb: number;
}

function procKb(file: string, field: string): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(file, "utf8"));
    return m ? Number(m[1]) : 0;
}

/** The master (from its pid file) and its workers, with RSS and PSS (shared pages split among sharers). */
export function fpmProcesses(pidFile: string): FpmProcess[] {
    const master = Number(fs.readFileSync(pidFile, "utf8").trim());
    const ps = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(master)], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
    const rows = [{ pid: master, pool: "master" }, ...ps.map((l) => {
        const m = /^\s*(\d+)\s+php-fpm: pool (\S+)/.exec(l);
        return m ? { pid: Number(m[1]), pool: m[2] } : null;
    }).filter((r): r is { pid: number; pool: string } => r !== null)];
    return rows.map((r) => ({ ...r, rssKb: procKb(`/proc/${r.pid}/status`, "VmRSS"), pssKb: procKb(`/proc/${r.pid}/smaps_rollup`, "Pss") }));
}

/** SIGUSR2 to the master; resolves once it rewrote its pid file (and `socket`, if given, exists). */
export async function reloadFpm(pidFile: string, socket?: string): Promise<void> {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    fs.utimesSync(pidFile, 1, 1);
    process.kill(pid, "SIGUSR2");
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        if (fs.statSync(pidFile).mtimeMs > 1000 && (!socket || fs.existsSync(socket))) return;
    }
    throw new Error(`PHP-FPM (${pidFile}) did not come back from its reload`);
}

/** The shipped opcache settings without the ones tenant pools added (permission and root checks, the API lock). */
export function opcacheBeforeTenantPools(): Record<string, string> {
    const ini = shippedOpcacheIni();
    for (const k of ["opcache.validate_permission", "opcache.validate_root", "opcache.restrict_api"]) delete ini[k];
    return ini;
}

export interface SinglePool {
    socket: string;
    pidFile: string;
    stop(): Promise<void>;
}

/**
 * A master with one pool as the platform shipped it before tenant pools: pm dynamic (32 at most),
 * no open_basedir, 256M, and opcache without permission checks. It runs as `user` with
 * MOKOWAAS_TENANT set, so today's bootstrap serves that tenant from it unchanged.
 */
export async function startSinglePool(dir: string, root: string, user: string, tenant: string, extra: { pool?: string[]; ini?: Record<string, string> } = {}): Promise<SinglePool> {
    fs.mkdirSync(dir, { recursive: true });
    const socket = path.join(dir, "single.sock");
    const pidFile = path.join(dir, "php-fpm.pid");
    const config = path.join(dir, "php-fpm.conf");
    fs.writeFileSync(config, [
        "[global]", `pid = ${pidFile}`, `error_log = ${path.join(dir, "php-fpm.log")}`, "daemonize = no",
        "[single]", `user = ${user}`, `group = ${user}`, `listen = ${socket}`, "listen.mode = 0660",
        "pm = dynamic", "pm.max_children = 32", "pm.start_servers = 4", "pm.min_spare_servers = 2", "pm.max_spare_servers = 8", "pm.max_requests = 1000",
        "clear_env = yes", `env[MOKOWAAS_ROOT] = ${root}`, `env[MOKOWAAS_TENANT] = ${tenant}`, `env[PATH] = ${serverPath()}`,
        "php_admin_flag[opcache.validate_timestamps] = on", "php_admin_value[opcache.revalidate_freq] = 1", "php_admin_value[memory_limit] = 256M", ...(extra.pool ?? []), "",
    ].join("\n"));
    const ini = Object.entries({ ...opcacheBeforeTenantPools(), "opcache.restrict_api": "", ...extra.ini }).flatMap(([k, v]) => ["-d", `${k}=${v}`]);
    const proc = launch(fpmBinary(), ["-F", "-R", ...ini, "-y", config], { logFile: path.join(dir, "stderr.log"), pidFile });
    const until = Date.now() + 20_000;
    while (!fs.existsSync(socket)) {
        if (Date.now() > until || proc.exited()) throw new Error(`the single pool did not start: ${fs.readFileSync(path.join(dir, "stderr.log"), "utf8")}`);
        await new Promise((r) => setTimeout(r, 50));
    }
    return { socket, pidFile, stop: () => proc.stop("SIGQUIT", 10_000) };
}
