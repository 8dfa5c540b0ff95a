/**
 * A real MariaDB server of our own: its data folder under `dir`, loopback on a port plus a private
 * socket. Tests start it as a child on a free port with a fresh admin account; `npm run local`
 * starts it as a daemon on a fixed port and keeps its data between runs. No system database,
 * service or file outside `dir` is touched.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import mysql from "mysql2/promise";
import { freePort, waitForPort } from "./ports";
import { launch, which } from "./process";

export { which };

export interface MariaDbServer {
    host: string;
    port: number;
    socket: string;
    dir: string;
    pid: number;
    stop(): Promise<void>;
}

export interface MariaDbInfo {
    host: string;
    port: number;
    socket: string;
    /** An admin account like the platform's (all privileges WITH GRANT OPTION, from 127.0.0.1 and localhost). */
    adminUser: string;
    adminPassword: string;
    dir: string;
}

export interface MariaDb extends MariaDbInfo {
    stop(): Promise<void>;
}

export interface MariaDbOptions {
    /** Default: a free port. */
    port?: number;
    /** Leave it running after this process ends (pid in `<dir>/mariadb.pid`). */
    daemon?: boolean;
}

/** Marks a data folder whose system tables were fully created (a half-initialized one is redone). */
const INITIALIZED = ".mokowaas-initialized";

export function mariaDbBinaries(): { server: string; installDb: string } {
    const server = which("mariadbd") ?? (fs.existsSync("/usr/sbin/mariadbd") ? "/usr/sbin/mariadbd" : undefined);
    const installDb = which("mariadb-install-db");
    if (!server || !installDb) throw new Error("MariaDB is not installed: run `bash scripts/install-test-deps.sh` (needs mariadb-server)");
    return { server, installDb };
}

/** Starts the server (initializing `dir/data` first when it holds no finished data folder). Root logs in by socket, without password. */
export async function startMariaDbServer(dir: string, opts: MariaDbOptions = {}): Promise<MariaDbServer> {
    const { server, installDb } = mariaDbBinaries();
    const data = path.join(dir, "data");
    const socket = path.join(dir, "mysqld.sock");
    if (!fs.existsSync(path.join(data, INITIALIZED))) {
        fs.rmSync(data, { recursive: true, force: true });
        fs.mkdirSync(data, { recursive: true });
        const init = spawnSync(installDb, [
            "--no-defaults", `--datadir=${data}`, "--user=root", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve",
        ], { encoding: "utf8" });
        if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
        fs.writeFileSync(path.join(data, INITIALIZED), "");
    }
    const port = opts.port ?? (await freePort());
    const logFile = path.join(dir, "mariadb.log");
    const pidFile = path.join(dir, "mariadb.pid");
    const proc = launch(server, [
        "--no-defaults", `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, "--bind-address=127.0.0.1",
        "--user=root", `--pid-file=${pidFile}`, "--skip-log-bin", "--skip-name-resolve",
        "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--max-connections=500",
        "--innodb-flush-log-at-trx-commit=2", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
    ], { logFile, daemon: opts.daemon, pidFile });
    try {
        await waitForPort(port, "127.0.0.1", 60_000);
        if (proc.exited()) throw new Error("exited");
    } catch {
        await proc.stop("SIGKILL", 1000);
        throw new Error(`MariaDB did not start on port ${port}: ${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    return { host: "127.0.0.1", port, socket, dir, pid: proc.pid, stop: () => proc.stop("SIGTERM", 20_000) };
}

/** Test MariaDB: a fresh server on a free port with an admin account of a random password. */
export async function startMariaDb(dir: string): Promise<MariaDb> {
    const srv = await startMariaDbServer(dir);
    const adminUser = "mokowaas_admin";
    const adminPassword = `test-${Math.random().toString(36).slice(2)}`;
    const root = await mysql.createConnection({ socketPath: srv.socket, user: "root", multipleStatements: true });
    for (const h of ["127.0.0.1", "localhost"]) {
        await root.query(`CREATE USER '${adminUser}'@'${h}' IDENTIFIED BY '${adminPassword}'`);
        await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'${h}' WITH GRANT OPTION`);
    }
    await root.end();
    return { host: srv.host, port: srv.port, socket: srv.socket, adminUser, adminPassword, dir, stop: srv.stop };
}

/** A connection as the admin account (for assertions and fixtures). */
export function adminConnection(db: MariaDbInfo, database?: string) {
    return mysql.createConnection({
        host: db.host, port: db.port, user: db.adminUser, password: db.adminPassword, database, multipleStatements: true,
    });
}
