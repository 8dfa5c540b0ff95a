/**
 * A real PHP-FPM of our own: the shipped platform pool (runtime/php-fpm/mokowaas.conf) rendered with
 * a private listen port, log and pid under `dir`, including the platform's tenant pools folder (the
 * registry writes one pool per tenant there and reloads this master), with the shipped opcache
 * settings (runtime/php-fpm/mokowaas-opcache.ini), run in the foreground as a root master (-R)
 * whose workers run as their pools' users (www-data for the platform pool, each tenant's own), like
 * on a server, so file permissions really apply. A child of the caller (tests) or a daemon
 * (`npm run local`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { platformPoolOpenBasedir, serverLayout } from "../components/rules";
import { freePort, waitForPort } from "./ports";
import { launch } from "./process";
import { serverPath, toolchain } from "./toolchain";

export const POOL_TEMPLATE = path.resolve(__dirname, "../runtime/php-fpm/mokowaas.conf");
export const OPCACHE_INI = path.resolve(__dirname, "../runtime/php-fpm/mokowaas-opcache.ini");

/** The master's config and pid file under `dir`: what `mokowaas platform init --fpm-*` names. */
export function fpmFiles(dir: string): { config: string; pidFile: string } {
    return { config: path.join(dir, "php-fpm.conf"), pidFile: path.join(dir, "php-fpm.pid") };
}

/** The folder the tenants' pool sockets go in under a platform root (`platform init --fpm-socket-dir`). */
export function fpmSocketDir(root: string): string {
    return path.join(root, "run", "php");
}

export interface PhpFpm {
    /** host:port Caddy's php_fastcgi dials (the platform pool). */
    address: string;
    pid: number;
    errorLog: string;
    /** The master's config and pid file. */
    config: string;
    pidFile: string;
    stop(): Promise<void>;
}

export interface PhpFpmOptions {
    dir: string;
    /** MOKOWAAS_ROOT passed to PHP by the pool; the tenant pools are included from <root>/etc/mokowaas/fpm. */
    root: string;
    user?: string;
    /** Extra `key = value` pool lines (override the template's by key). */
    overrides?: Record<string, string>;
    /** php.ini settings for the master, after (over) the shipped opcache settings. */
    ini?: Record<string, string>;
    /** Default: a free port. */
    port?: number;
    /** Leave it running after this process ends (pid in `<dir>/php-fpm.pid`). */
    daemon?: boolean;
}

/** runtime/php-fpm/mokowaas-opcache.ini as settings (a server loads it from conf.d; here it is passed with -d). */
export function shippedOpcacheIni(): Record<string, string> {
    const lines = fs.readFileSync(OPCACHE_INI, "utf8").split("\n").map((l) => /^\s*([a-z_.]+)\s*=\s*(\S+)/.exec(l)).filter((m) => m !== null);
    return Object.fromEntries(lines.map((m) => [m[1], m[2]]));
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
    const { config: main, pidFile } = fpmFiles(opts.dir);
    const root = opts.root.replace(/\/+$/, "");
    const layout = serverLayout(root);
    fs.mkdirSync(layout.tenantPools, { recursive: true });
    fs.mkdirSync(fpmSocketDir(root), { recursive: true });
    const pool = renderPool(fs.readFileSync(POOL_TEMPLATE, "utf8"), {
        user, group: user,
        listen: `127.0.0.1:${port}`,
        "listen.owner": user, "listen.group": user,
        "pm": "static", "pm.max_children": "4",
        "env[MOKOWAAS_ROOT]": opts.root,
        "env[PATH]": serverPath(),
        "php_admin_value[error_log]": errorLog,
        "php_admin_value[open_basedir]": platformPoolOpenBasedir(layout),
        include: `${layout.tenantPools}/*.conf`,
        ...opts.overrides,
    });
    const poolFile = path.join(opts.dir, "pool.conf");
    fs.writeFileSync(poolFile, pool);
    fs.writeFileSync(main, [
        "[global]",
        `pid = ${pidFile}`,
        `error_log = ${errorLog}`,
        "daemonize = no",
        `include = ${poolFile}`,
        "",
    ].join("\n"));
    const stderrLog = path.join(opts.dir, "php-fpm.stderr");
    const opcache = Object.entries(shippedOpcacheIni()).flatMap(([k, v]) => ["-d", `${k}=${v}`]);
    const ini = Object.entries(opts.ini ?? {}).flatMap(([k, v]) => ["-d", `${k}=${v}`]);
    const proc = launch(bin, ["-F", "-R", ...opcache, ...ini, "-y", main], { logFile: stderrLog, daemon: opts.daemon, pidFile });
    try {
        await waitForPort(port, "127.0.0.1", 20_000);
        if (proc.exited()) throw new Error("exited");
    } catch {
        await proc.stop("SIGKILL", 1000);
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
        throw new Error(`php-fpm did not start on port ${port}: ${read(stderrLog)}${read(errorLog)}`.slice(-3000));
    }
    return { address: `127.0.0.1:${port}`, pid: proc.pid, errorLog, config: main, pidFile, stop: () => proc.stop("SIGQUIT", 10_000) };
}
