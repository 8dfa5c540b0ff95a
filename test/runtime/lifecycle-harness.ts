/**
 * A private MokoWaaS server for lifecycle tests: its own MOKOWAAS_ROOT in a temp folder, the platform
 * config pointing at the shared test MySQL, tenants with their own database and user, and the
 * real CLI run as a child process (stdin for secrets, as the control plane does).
 */
import { phpBin, serverPath } from "../../devenv/toolchain";
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { MySqlInfo } from "../../devenv/mysql";
import { adminConnection } from "../../devenv/mysql";
import { borgEnv, writePassphrase } from "../../devenv/borg";
import { removeTenantAccounts } from "../harness/accounts";

export const CLI = path.resolve(__dirname, "../../runtime/bin/mokowaas");

export interface CliResult {
    status: number;
    stdout: string;
    stderr: string;
}

export interface TenantInfo {
    name: string;
    database: string;
    user: string;
    password: string;
    prefix: string;
    hosts: { dev: string; production: string };
}

export class TestPlatform {
    readonly root: string;
    readonly repo: string;
    /** Unique per platform: every test file shares one MySQL. */
    readonly id = crypto.randomBytes(3).toString("hex");
    readonly blueprintDb: string;
    private readonly databases: string[] = [];
    private readonly users: string[] = [];

    constructor(readonly db: MySqlInfo, extraInit: string[] = []) {
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-life-"));
        this.repo = path.join(this.root, "var/backups/mokowaas/borg");
        this.blueprintDb = `bp_${this.id}`;
        writePassphrase(this.root);
        const r = this.cli(["platform", "init", "--mysql-host", db.host, "--mysql-port", String(db.port), "--mysql-user", db.adminUser,
            "--php-user", "nobody", "--borg-repo", this.repo, ...extraInit], db.adminPassword);
        if (r.status !== 0) throw new Error(`platform init failed: ${r.stderr}`);
    }

    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return { ...process.env, PATH: serverPath(), MOKOWAAS_ROOT: this.root, ...borgEnv(this.root), ...extra };
    }

    cli(args: string[], stdin = "", env: Record<string, string> = {}): CliResult {
        const r = spawnSync(phpBin(), [CLI, ...args], { input: stdin, encoding: "utf8", env: this.env(env), timeout: 300_000 });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    }

    /** The CLI as a running child, for concurrency tests. */
    cliAsync(args: string[], stdin = ""): Promise<CliResult> {
        return new Promise((resolve) => {
            const child = spawn(phpBin(), [CLI, ...args], { env: this.env() });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
            child.stdin.end(stdin);
        });
    }

    /** Database, user (granted on its database only) and registry entry of a new tenant. */
    async addTenant(name: string, opts: { prefix?: string; online?: boolean; keep?: Record<string, number> } = {}): Promise<TenantInfo> {
        const t: TenantInfo = {
            name,
            database: `t_${this.id}_${name.replace(/-/g, "_")}`,
            user: `u_${this.id}_${name.replace(/-/g, "_")}`.slice(0, 32),
            password: crypto.randomBytes(18).toString("base64url"),
            prefix: opts.prefix ?? "jos_",
            hosts: { dev: `dev.${name}.example.test`, production: `${name}.example.test` },
        };
        const c = await adminConnection(this.db);
        try {
            await c.query(`CREATE DATABASE \`${t.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
            for (const h of ["127.0.0.1", "localhost"]) {
                await c.query(`CREATE USER '${t.user}'@'${h}' IDENTIFIED BY '${t.password}'`);
                await c.query(`GRANT ALL PRIVILEGES ON \`${t.database}\`.* TO '${t.user}'@'${h}'`);
            }
        } finally {
            await c.end();
        }
        this.databases.push(t.database);
        this.users.push(t.user);
        this.putEntry(t, opts);
        return t;
    }

    putEntry(t: TenantInfo, opts: { online?: boolean; keep?: Record<string, number> } = {}): void {
        const entry = {
            tenant: t.name,
            hosts: { ...t.hosts, aliases: [] },
            online: opts.online ?? false,
            db: { host: "127.0.0.1", port: this.db.port, name: t.database, user: t.user, password: t.password, prefix: t.prefix },
            secret: crypto.randomBytes(16).toString("hex"),
            siteName: `Site ${t.name}`,
            mail: { from: `webmaster@${t.hosts.production}`, fromName: `Site ${t.name}` },
            ...(opts.keep ? { backup: { keep: opts.keep } } : {}),
        };
        const r = this.cli(["registry", "put", t.name], JSON.stringify(entry));
        if (r.status !== 0) throw new Error(`registry put ${t.name} failed: ${r.stderr}`);
    }

    seed(t: TenantInfo, admin = superUser(t.name)): CliResult {
        return this.cli(["tenant", "seed", t.name], JSON.stringify(admin));
    }

    /** The registry entry of a tenant without secrets, or undefined. */
    entry(name: string): Record<string, any> | undefined {
        const r = this.cli(["registry", "list"]);
        if (r.status !== 0) throw new Error(`registry list failed: ${r.stderr}`);
        return (JSON.parse(r.stdout) as Record<string, any>[]).find((e) => e.tenant === name);
    }

    hostMapText(): string {
        const f = path.join(this.root, "etc/mokowaas/registry/hosts.php");
        return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
    }

    tenantDir(name: string): string {
        return path.join(this.root, "srv/mokowaas/tenants", name);
    }

    query(database: string) {
        return adminConnection(this.db, database);
    }

    /**
     * Waits for a standby refill that a seed started in the background (it holds the standby lock
     * from the moment the seed returns until it is done).
     */
    waitForStandby(): void {
        const lock = path.join(this.root, "run/mokowaas/locks/blueprint-standby.lock");
        if (fs.existsSync(lock)) spawnSync("flock", [lock, "true"], { timeout: 300_000 });
    }

    async cleanup(): Promise<void> {
        this.waitForStandby();
        const c = await adminConnection(this.db);
        try {
            for (const d of [...this.databases, this.blueprintDb, `${this.blueprintDb}_new`, `${this.blueprintDb}_standby`]) {
                await c.query(`DROP DATABASE IF EXISTS \`${d}\``);
            }
            for (const u of this.users) for (const h of ["127.0.0.1", "localhost"]) await c.query(`DROP USER IF EXISTS '${u}'@'${h}'`);
        } finally {
            await c.end();
        }
        spawnSync("chattr", ["-R", "-i", this.root]);
        removeTenantAccounts(this.root);
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

export function superUser(tenant: string) {
    return { username: `admin-${tenant}`, email: `admin@${tenant}.example.test`, password: `pw-${tenant}-${crypto.randomBytes(8).toString("hex")}` };
}

/** PHP's password_verify, run by PHP itself (the password travels on stdin). */
export function passwordVerify(password: string, hash: string): boolean {
    const r = spawnSync(phpBin(), ["-r", '$in = json_decode(stream_get_contents(STDIN), true); exit(password_verify($in[0], $in[1]) ? 0 : 1);'], {
        input: JSON.stringify([password, hash]),
    });
    return r.status === 0;
}
