/**
 * A real MariaDB server for tests: its own data folder under a temporary directory, loopback on a
 * free port plus a private socket, started as a child process and stopped at the end. No system
 * database, service or file outside `dir` is touched.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import mysql from "mysql2/promise";
import { freePort, waitForPort } from "./ports";

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

export function which(cmd: string): string | undefined {
    const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

export async function startMariaDb(dir: string): Promise<MariaDb> {
    const server = which("mariadbd") ?? (fs.existsSync("/usr/sbin/mariadbd") ? "/usr/sbin/mariadbd" : undefined);
    const installDb = which("mariadb-install-db");
    if (!server || !installDb) throw new Error("MariaDB is not installed: run `bash scripts/install-test-deps.sh` (needs mariadb-server)");
    const data = path.join(dir, "data");
    const socket = path.join(dir, "mysqld.sock");
    fs.mkdirSync(data, { recursive: true });
    const init = spawnSync(installDb, [
        "--no-defaults", `--datadir=${data}`, "--user=root", "--auth-root-authentication-method=normal",
        "--skip-test-db", "--skip-name-resolve",
    ], { encoding: "utf8" });
    if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
    const port = await freePort();
    const log = fs.openSync(path.join(dir, "mariadb.log"), "a");
    const child: ChildProcess = spawn(server, [
        "--no-defaults", `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, "--bind-address=127.0.0.1",
        "--user=root", `--pid-file=${path.join(dir, "mariadb.pid")}`, "--skip-log-bin", "--skip-name-resolve",
        "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--max-connections=500",
        "--innodb-flush-log-at-trx-commit=2", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
    ], { stdio: ["ignore", log, log] });
    let exited = false;
    child.on("exit", () => (exited = true));
    try {
        await waitForPort(port, "127.0.0.1", 60_000);
    } catch (e) {
        child.kill("SIGKILL");
        throw new Error(`MariaDB did not start: ${fs.readFileSync(path.join(dir, "mariadb.log"), "utf8").slice(-2000)}`);
    }
    const adminUser = "mokowaas_admin";
    const adminPassword = `test-${Math.random().toString(36).slice(2)}`;
    const root = await mysql.createConnection({ socketPath: socket, user: "root", multipleStatements: true });
    for (const h of ["127.0.0.1", "localhost"]) {
        await root.query(`CREATE USER '${adminUser}'@'${h}' IDENTIFIED BY '${adminPassword}'`);
        await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'${h}' WITH GRANT OPTION`);
    }
    await root.end();
    return {
        host: "127.0.0.1", port, socket, adminUser, adminPassword, dir,
        async stop() {
            if (exited) return;
            await new Promise<void>((resolve) => {
                child.once("exit", () => resolve());
                child.kill("SIGTERM");
                setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
            });
        },
    };
}

/** A connection as the admin account (for assertions and fixtures). */
export function adminConnection(db: MariaDbInfo, database?: string) {
    return mysql.createConnection({
        host: db.host, port: db.port, user: db.adminUser, password: db.adminPassword, database, multipleStatements: true,
    });
}
