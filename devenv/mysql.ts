/**
 * A real Oracle MySQL server of our own (the toolchain's, devenv/toolchain.ts): its data folder
 * under `dir`, loopback on a port plus a private socket. Tests start it as a child on a free port
 * with a fresh admin account; `npm run local` starts it as a daemon on a fixed port and keeps its
 * data between runs. No system database, service or file outside `dir` is touched. Binary logging
 * and GTIDs stay on, as on a server's MySQL 8.0+/9.x (dumps must use --set-gtid-purged=OFF).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import mysql from "mysql2/promise";
import { freePort, waitForPort } from "./ports";
import { launch } from "./process";
import { toolchain } from "./toolchain";

export interface MySqlServer {
    host: string;
    port: number;
    socket: string;
    dir: string;
    pid: number;
    stop: () => Promise<void>;
}

export interface MySqlInfo {
    host: string;
    port: number;
    socket: string;
    /** An admin account like the platform's (all privileges WITH GRANT OPTION, from 127.0.0.1 and localhost). */
    adminUser: string;
    adminPassword: string;
    dir: string;
}

export interface MySql extends MySqlInfo {
    stop: () => Promise<void>;
}

export interface MySqlOptions {
    /** Default: a free port. */
    port?: number;
    /** Leave it running after this process ends (pid in `<dir>/mysqld.pid`). */
    daemon?: boolean;
}

/** Marks a data folder whose system tables were fully created (a half-initialized one is redone). */
const INITIALIZED = ".mokowaas-initialized";

/** The process name a running server shows in /proc/<pid>/cmdline. */
export const MYSQLD_PROCESS = "mysqld";

/**
 * Options shared by --initialize and the server: no option file of the host is read (a
 * MariaDB's /etc/mysql/my.cnf would abort MySQL), and secure_file_priv points into `dir` (Debian
 * compiles in /var/lib/mysql-files, which need not exist).
 */
function baseArgs(dir: string): string[] {
    const files = path.join(dir, "files");
    fs.mkdirSync(files, { recursive: true, mode: 0o750 });
    return ["--no-defaults", `--datadir=${path.join(dir, "data")}`, `--secure-file-priv=${files}`, ...(process.getuid?.() === 0 ? ["--user=root"] : [])];
}

/** Starts the server (initializing `dir/data` first when it holds no finished data folder). Root logs in by socket, without password. */
export async function startMySqlServer(dir: string, opts: MySqlOptions = {}): Promise<MySqlServer> {
    const { mysqld } = toolchain().mysql;
    const data = path.join(dir, "data");
    const socket = path.join(dir, "mysqld.sock");
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(data, INITIALIZED))) {
        fs.rmSync(data, { recursive: true, force: true });
        const init = spawnSync(mysqld, [...baseArgs(dir), "--initialize-insecure"], { encoding: "utf8" });
        if (init.status !== 0) throw new Error(`mysqld --initialize-insecure failed: ${init.stderr}${init.stdout}`.slice(-3000));
        fs.writeFileSync(path.join(data, INITIALIZED), "");
    }
    const port = opts.port ?? (await freePort());
    const logFile = path.join(dir, "mysqld.log");
    const pidFile = path.join(dir, "mysqld.pid");
    const proc = launch(mysqld, [
        ...baseArgs(dir), `--socket=${socket}`, `--port=${port}`, "--bind-address=127.0.0.1", `--pid-file=${pidFile}`,
        "--mysqlx=OFF", "--skip-name-resolve", "--performance-schema=OFF", "--innodb-buffer-pool-size=128M",
        "--max-connections=500", "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
        "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci", `--log-error=${logFile}`,
    ], { logFile: path.join(dir, "mysqld.out"), daemon: opts.daemon, pidFile });
    try {
        await waitForPort(port, "127.0.0.1", 90_000);
        if (proc.exited()) throw new Error("exited");
    } catch {
        await proc.stop("SIGKILL", 1000);
        const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
        throw new Error(`MySQL did not start on port ${port}: ${log.slice(-2000)}`);
    }
    return { host: "127.0.0.1", port, socket, dir, pid: proc.pid, stop: () => proc.stop("SIGTERM", 30_000) };
}

/** Test MySQL: a fresh server on a free port with an admin account of a random password. */
export async function startMySql(dir: string): Promise<MySql> {
    const srv = await startMySqlServer(dir);
    const adminUser = "mokowaas_admin";
    const adminPassword = `test${Math.random().toString(36).slice(2)}`;
    const root = await mysql.createConnection({ socketPath: srv.socket, user: "root", multipleStatements: true });
    for (const h of ["127.0.0.1", "localhost"]) {
        await root.query(`CREATE USER '${adminUser}'@'${h}' IDENTIFIED BY '${adminPassword}'`);
        await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'${h}' WITH GRANT OPTION`);
    }
    await root.end();
    return { host: srv.host, port: srv.port, socket: srv.socket, adminUser, adminPassword, dir, stop: srv.stop };
}

/** A connection as the admin account (for assertions and fixtures). */
export function adminConnection(db: MySqlInfo, database?: string) {
    return mysql.createConnection({
        host: db.host, port: db.port, user: db.adminUser, password: db.adminPassword, database, multipleStatements: true,
    });
}
