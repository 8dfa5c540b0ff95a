/**
 * A real PHP-FPM of our own: the shipped pool (runtime/php-fpm/mokowaas.conf) rendered with a
 * private listen port, log and pid under `dir`, run in the foreground as a root master (-R) whose
 * workers run as `user` (www-data), like on a server, so file permissions really apply. A child
 * of the caller (tests) or a daemon (`npm run local`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort, waitForPort } from "./ports";
import { launch } from "./process";
import { serverPath, toolchain } from "./toolchain";

export const POOL_TEMPLATE = path.resolve(__dirname, "../runtime/php-fpm/mokowaas.conf");

export interface PhpFpm {
    /** host:port Caddy's php_fastcgi dials. */
    address: string;
    pid: number;
    errorLog: string;
    stop(): Promise<void>;
}

export interface PhpFpmOptions {
    dir: string;
    /** MOKOWAAS_ROOT passed to PHP by the pool. */
    root: string;
    user?: string;
    /** Extra `key = value` pool lines (override the template's by key). */
    overrides?: Record<string, string>;
    /** Default: a free port. */
    port?: number;
    /** Leave it running after this process ends (pid in `<dir>/php-fpm.pid`). */
    daemon?: boolean;
}

/** The toolchain's PHP-FPM (PHP >= 8.3, Joomla 6's minimum). */
export function fpmBinary(): string {
    return toolchain().php.fpm;
}

/** The template with `key = value` lines replaced by key (one setting per line, as the file promises). */
export function renderPool(template: string, settings: Record<string, string>): string {
    const seen = new Set<string>();
    const lines = template.split("\n").map((line) => {
        const m = /^([^;=\s][^=]*?)\s*=/.exec(line);
        if (!m || !(m[1] in settings)) return line;
        seen.add(m[1]);
        return `${m[1]} = ${settings[m[1]]}`;
    });
    for (const [key, value] of Object.entries(settings)) if (!seen.has(key)) lines.push(`${key} = ${value}`);
    return lines.join("\n");
}

export async function startPhpFpm(opts: PhpFpmOptions): Promise<PhpFpm> {
    const bin = fpmBinary();
    const port = opts.port ?? (await freePort());
    const user = opts.user ?? "www-data";
    fs.mkdirSync(opts.dir, { recursive: true });
    const errorLog = path.join(opts.dir, "php-fpm.log");
    const pidFile = path.join(opts.dir, "php-fpm.pid");
    const pool = renderPool(fs.readFileSync(POOL_TEMPLATE, "utf8"), {
        user, group: user,
        listen: `127.0.0.1:${port}`,
        "listen.owner": user, "listen.group": user,
        "pm": "static", "pm.max_children": "8",
        "env[MOKOWAAS_ROOT]": opts.root,
        "env[PATH]": serverPath(),
        "php_admin_value[error_log]": errorLog,
        ...opts.overrides,
    });
    const poolFile = path.join(opts.dir, "pool.conf");
    fs.writeFileSync(poolFile, pool);
    const main = path.join(opts.dir, "php-fpm.conf");
    fs.writeFileSync(main, [
        "[global]",
        `pid = ${pidFile}`,
        `error_log = ${errorLog}`,
        "daemonize = no",
        `include = ${poolFile}`,
        "",
    ].join("\n"));
    const stderrLog = path.join(opts.dir, "php-fpm.stderr");
    const proc = launch(bin, ["-F", "-R", "-y", main], { logFile: stderrLog, daemon: opts.daemon, pidFile });
    try {
        await waitForPort(port, "127.0.0.1", 20_000);
        if (proc.exited()) throw new Error("exited");
    } catch {
        await proc.stop("SIGKILL", 1000);
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
        throw new Error(`php-fpm did not start on port ${port}: ${read(stderrLog)}${read(errorLog)}`.slice(-3000));
    }
    return { address: `127.0.0.1:${port}`, pid: proc.pid, errorLog, stop: () => proc.stop("SIGQUIT", 10_000) };
}
