/**
 * A real Caddy of our own: the shipped Caddyfile (runtime/caddy/Caddyfile) with its parameters set
 * through the environment — HTTP, HTTPS and ask ports (free ones unless given), Caddy's local CA
 * instead of ACME, admin off unless asked for (then on a free loopback port, for `reload()`),
 * storage under `dir` (the CA survives restarts) — as a child of the caller (tests) or a daemon
 * (`npm run local`); and an HTTPS client that trusts that CA and talks to tenant hosts on
 * 127.0.0.1 by SNI and Host header.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { freePort, waitForPort } from "./ports";
import { launch, which } from "./process";

export const CADDYFILE = path.resolve(__dirname, "../runtime/caddy/Caddyfile");

export interface Caddy {
    pid: number;
    httpPort: number;
    httpsPort: number;
    askPort: number;
    /** Caddy's local root CA (PEM): what clients must trust. */
    ca: string;
    /** The file holding it. */
    caFile: string;
    log: () => string;
    /**
     * What a server's `systemctl reload caddy` runs (`caddy reload --force`: the Caddyfile adapted
     * again, a new config swapped in gracefully). Only with `admin: true`.
     */
    reload(): Promise<void>;
    stop(): Promise<void>;
}

export interface CaddyOptions {
    dir: string;
    /** MOKOWAAS_ROOT: the docroot is $ROOT/srv/mokowaas/current. */
    root: string;
    /** host:port of PHP-FPM. */
    phpFpm: string;
    /** Default: free ports. */
    ports?: { http: number; https: number; ask: number };
    /** Leave it running after this process ends (pid in `<dir>/caddy.pid`). */
    daemon?: boolean;
    /** Open the admin endpoint on a free 127.0.0.1 port (reload needs it); default off. */
    admin?: boolean;
}

/** Where Caddy keeps its local root CA under its storage folder. */
export function caddyCaFile(dir: string): string {
    return path.join(dir, "data", "caddy", "pki", "authorities", "local", "root.crt");
}

const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * Caddy (2.6 and later, on Linux) opens a new SO_REUSEPORT listener on each reload and closes the
 * old one; the kernel resets the connections still queued on the closed one (a client sees
 * ECONNRESET on connect) unless net.ipv4.tcp_migrate_req is 1 (Linux >= 5.14), which hands them
 * to the new listener. A server that reloads Caddy needs it (docs/reliability.md), and this
 * machine is that server for a Caddy started to reload. A network namespace's setting, root only:
 * elsewhere it stays as it is and the drill shows the resets.
 */
function keepQueuedConnectionsOnReload(): void {
    try {
        if (fs.readFileSync(MIGRATE_REQ, "utf8").trim() !== "1") fs.writeFileSync(MIGRATE_REQ, "1\n");
    } catch {
        // not Linux >= 5.14, or not root
    }
}

export async function startCaddy(opts: CaddyOptions): Promise<Caddy> {
    const bin = which("caddy");
    if (!bin) throw new Error("Caddy is not installed: run `bash scripts/setup.sh` (installs Debian's caddy)");
    const [httpPort, httpsPort, askPort] = opts.ports
        ? [opts.ports.http, opts.ports.https, opts.ports.ask]
        : [await freePort(), await freePort(), await freePort()];
    const admin = opts.admin ? `127.0.0.1:${await freePort()}` : "off";
    if (opts.admin) keepQueuedConnectionsOnReload();
    fs.mkdirSync(opts.dir, { recursive: true });
    const logFile = path.join(opts.dir, "caddy.log");
    const pidFile = path.join(opts.dir, "caddy.pid");
    const env = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: opts.dir,
        XDG_DATA_HOME: path.join(opts.dir, "data"),
        XDG_CONFIG_HOME: path.join(opts.dir, "config"),
        MOKOWAAS_ROOT: opts.root,
        MOKOWAAS_HTTP_PORT: String(httpPort),
        MOKOWAAS_HTTPS_PORT: String(httpsPort),
        MOKOWAAS_HTTPS_SUFFIX: `:${httpsPort}`,
        MOKOWAAS_ASK_PORT: String(askPort),
        MOKOWAAS_PHP_FPM: opts.phpFpm,
        MOKOWAAS_CERT_ISSUER: "internal",
        MOKOWAAS_ADMIN: admin,
        MOKOWAAS_CADDY_GLOBALS: path.join(opts.dir, "globals.d", "*"),
    };
    const proc = launch(bin, ["run", "--config", CADDYFILE, "--adapter", "caddyfile", "--pidfile", pidFile], { env, logFile, daemon: opts.daemon, pidFile });
    const log = () => fs.readFileSync(logFile, "utf8");
    const ca = caddyCaFile(opts.dir);
    try {
        await waitForPort(httpsPort, "127.0.0.1", 20_000);
        await waitForPort(askPort, "127.0.0.1", 5_000);
        const until = Date.now() + 15_000;
        while (!fs.existsSync(ca)) {
            if (proc.exited() || Date.now() > until) throw new Error("no local CA");
            await new Promise((r) => setTimeout(r, 100));
        }
        if (proc.exited()) throw new Error("exited");
    } catch (e) {
        await proc.stop("SIGKILL", 1000);
        throw new Error(`Caddy did not start (${(e as Error).message}): ${log().slice(-3000)}`, { cause: e });
    }
    return {
        pid: proc.pid, httpPort, httpsPort, askPort, ca: fs.readFileSync(ca, "utf8"), caFile: ca, log,
        // Asynchronous: callers keep serving requests on the event loop while it runs.
        reload: () => new Promise((resolve, reject) => {
            if (admin === "off") return reject(new Error("Caddy was started without its admin endpoint (admin: true): it cannot reload"));
            // The same environment: the CLI adapts the Caddyfile ({$MOKOWAAS_...}) before posting it.
            const child = spawn(bin, ["reload", "--config", CADDYFILE, "--adapter", "caddyfile", "--address", admin, "--force"], { env, stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("error", reject);
            child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`caddy reload exited ${code}: ${stderr.slice(-2000)}`))));
        }),
        stop: () => proc.stop("SIGTERM", 10_000),
    };
}

export interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/**
 * GET `urlPath` over HTTPS on 127.0.0.1, with SNI `servername` (default: the host without port)
 * and the Host header `host` sent verbatim, trusting only Caddy's local CA.
 */
export function httpsGet(caddy: Pick<Caddy, "httpsPort" | "ca">, host: string, urlPath = "/", servername?: string): Promise<Reply> {
    const sni = servername ?? host.replace(/:\d+$/, "");
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: "127.0.0.1", port: caddy.httpsPort, path: urlPath, method: "GET",
            servername: sni, ca: caddy.ca, headers: { Host: host }, agent: false,
        }, (res) => collect(res, resolve, reject));
        req.on("error", reject);
        req.setTimeout(20_000, () => req.destroy(new Error(`timeout: GET https://${host}${urlPath}`)));
        req.end();
    });
}

/** GET over plain HTTP on a local port with a verbatim Host header. */
export function httpGet(port: number, host: string, urlPath = "/"): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, headers: { Host: host }, agent: false },
            (res) => collect(res, resolve, reject));
        req.on("error", reject);
        req.setTimeout(20_000, () => req.destroy(new Error(`timeout: GET http://${host}${urlPath}`)));
        req.end();
    });
}

function collect(res: http.IncomingMessage, resolve: (r: Reply) => void, reject: (e: Error) => void) {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    res.on("error", reject);
}
