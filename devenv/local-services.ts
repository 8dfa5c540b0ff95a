/**
 * The background services of `npm run local`: MySQL, PHP-FPM (workers as www-data) and Caddy
 * (its local CA), plus sshd for the Pulumi mode. Each runs as a daemon with its pid file and
 * state under the local state folder. Starting is idempotent: a service already running with the
 * same parameters is left alone; one that died or whose parameters changed is (re)started.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { caddyCaFile, startCaddy } from "./caddy";
import type { LocalSettings } from "./local-settings";
import { MYSQLD_PROCESS, startMySqlServer } from "./mysql";
import { startPhpFpm } from "./php-fpm";
import { waitForPort } from "./ports";
import { runningPid, stopPid } from "./process";
import { PHP_USER, makeTraversable } from "./server-cli";
import { startSshd } from "./sshd";

export type ServiceName = "mysql" | "php-fpm" | "caddy" | "sshd";

interface ServiceDef {
    name: ServiceName;
    dir: string;
    pidFile: string;
    /** What /proc/<pid>/cmdline of the service contains. */
    processName: string;
    /** The port that says it is up, and what it is configured with. */
    port: number;
    params: Record<string, unknown>;
    start(): Promise<void>;
}

function services(s: LocalSettings): ServiceDef[] {
    const p = s.paths;
    return [
        {
            name: "mysql", dir: p.mysql, pidFile: path.join(p.mysql, "mysqld.pid"), processName: MYSQLD_PROCESS, port: s.ports.mysql,
            params: { port: s.ports.mysql },
            start: async () => void (await startMySqlServer(p.mysql, { port: s.ports.mysql, daemon: true })),
        },
        {
            name: "php-fpm", dir: p.fpm, pidFile: path.join(p.fpm, "php-fpm.pid"), processName: "php-fpm", port: s.ports.fpm,
            params: { port: s.ports.fpm, root: p.root, user: PHP_USER },
            start: async () => void (await startPhpFpm({ dir: p.fpm, root: p.root, port: s.ports.fpm, user: PHP_USER, daemon: true })),
        },
        {
            name: "caddy", dir: p.caddy, pidFile: path.join(p.caddy, "caddy.pid"), processName: "caddy", port: s.ports.https,
            params: { http: s.ports.http, https: s.ports.https, ask: s.ports.ask, fpm: s.ports.fpm, root: p.root },
            start: async () =>
                void (await startCaddy({
                    dir: p.caddy, root: p.root, phpFpm: `127.0.0.1:${s.ports.fpm}`,
                    ports: { http: s.ports.http, https: s.ports.https, ask: s.ports.ask }, daemon: true,
                })),
        },
        {
            name: "sshd", dir: p.sshd, pidFile: path.join(p.sshd, "sshd.pid"), processName: "sshd", port: s.ports.ssh,
            params: { port: s.ports.ssh },
            start: async () => void (await startSshd({ dir: p.sshd, port: s.ports.ssh, clientKey: p.sshKey })),
        },
    ];
}

async function portOpen(port: number): Promise<boolean> {
    return waitForPort(port, "127.0.0.1", 0).then(() => true, () => false);
}

/** Starts what is not running (in dependency order); returns one line per service. */
export async function ensureServices(s: LocalSettings, names: ServiceName[]): Promise<string[]> {
    // PHP-FPM workers (www-data) must reach the platform root.
    fs.mkdirSync(s.paths.root, { recursive: true });
    makeTraversable(s.paths.root);
    const lines: string[] = [];
    for (const svc of services(s).filter((d) => names.includes(d.name))) {
        fs.mkdirSync(svc.dir, { recursive: true });
        const paramsFile = path.join(svc.dir, "params.json");
        const params = JSON.stringify(svc.params);
        const pid = runningPid(svc.pidFile, svc.processName);
        const sameParams = fs.existsSync(paramsFile) && fs.readFileSync(paramsFile, "utf8") === params;
        if (pid !== undefined && sameParams && (await portOpen(svc.port))) {
            lines.push(`${svc.name}: already running (pid ${pid}, port ${svc.port})`);
            continue;
        }
        if (pid !== undefined) await stopPid(pid, svc.name === "php-fpm" ? "SIGQUIT" : "SIGTERM", 20_000);
        if (await portOpen(svc.port)) {
            throw new Error(
                `${svc.name}: port ${svc.port} is in use by another program: stop it, or choose another port with ` +
                    `MOKOWAAS_LOCAL_${portVar(svc.name)}_PORT (docs/local.md)`,
            );
        }
        await svc.start();
        fs.writeFileSync(paramsFile, params);
        const now = runningPid(svc.pidFile, svc.processName);
        lines.push(`${svc.name}: ${pid === undefined ? "started" : "restarted"} (pid ${now ?? "?"}, port ${svc.port})`);
    }
    return lines;
}

function portVar(name: ServiceName): string {
    return { mysql: "MYSQL", "php-fpm": "FPM", caddy: "HTTPS", sshd: "SSH" }[name];
}

/** Stops every service that runs (Caddy first, MySQL last); returns one line per service. */
export async function stopServices(s: LocalSettings): Promise<string[]> {
    const lines: string[] = [];
    for (const svc of services(s).reverse()) {
        const pid = runningPid(svc.pidFile, svc.processName);
        if (pid === undefined) {
            lines.push(`${svc.name}: not running`);
            continue;
        }
        await stopPid(pid, svc.name === "php-fpm" ? "SIGQUIT" : "SIGTERM", 30_000);
        fs.rmSync(svc.pidFile, { force: true });
        lines.push(`${svc.name}: stopped (pid ${pid})`);
    }
    return lines;
}

export async function serviceStatus(s: LocalSettings): Promise<{ name: ServiceName; pid?: number; port: number; listening: boolean }[]> {
    const out = [];
    for (const svc of services(s)) {
        out.push({ name: svc.name, pid: runningPid(svc.pidFile, svc.processName), port: svc.port, listening: await portOpen(svc.port) });
    }
    return out;
}

/** Caddy's local root CA: what a browser or curl must trust. */
export function caFile(s: LocalSettings): string {
    return caddyCaFile(s.paths.caddy);
}
