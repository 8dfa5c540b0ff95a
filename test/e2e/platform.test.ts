/**
 * Issue #6's end-to-end proof on the real engine: fresh state; `pulumi up` of platform `local`
 * and of tenant stacks acme and beta (through `npm run local`, which runs exactly those when the
 * engine is complete); over HTTPS through Caddy each dev host reaches its own database and each
 * production host answers 503 coming soon; `online: true` + `pulumi up` -> 200; `pulumi preview`
 * right after shows no change; `pulumi destroy` of beta -> its final Borg archive exists, its
 * database and user are gone, its hosts answer 404, acme is unaffected; no state file holds a
 * plaintext password or key.
 *
 * It needs the whole engine (the Node.js language host and the command, random and mysql plugins
 * besides the CLI). Without them it skips, naming each blocked part: nothing stands in for them.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpsGet } from "../../devenv/caddy";
import { blockedEngineParts, engineEnv } from "../../devenv/local-pulumi";
import { type LocalSettings, localSettings } from "../../devenv/local-settings";
import { freePort } from "../../devenv/ports";
import { mokowaas, php } from "../../devenv/server-cli";

const run = promisify(execFile);
const repo = path.resolve(__dirname, "../..");
const blocked = blockedEngineParts(localSettings());
if (blocked.length > 0) {
    console.warn(`\n!!! SKIPPED platform e2e (pulumi up of platform local + tenants acme, beta): Pulumi engine parts BLOCKED !!!\n  ${blocked.join("\n  ")}\n`);
}

let dir: string;
let tenantsDir: string;
let env: NodeJS.ProcessEnv;
let s: LocalSettings;
let ca: string;

async function local(...args: string[]): Promise<string> {
    const { stdout, stderr } = await run("npm", ["run", "--silent", "local", "--", ...args], { cwd: repo, env, maxBuffer: 64 << 20, timeout: 1_500_000 });
    return stdout + stderr;
}

/** The CLI on this project with the stack's config file, as `npm run local` runs it. */
async function pulumi(stack: string, ...args: string[]): Promise<string> {
    const configFile = path.join(s.paths.pulumi, `Pulumi.${stack}.yaml`);
    try {
        const { stdout } = await run("pulumi", [...args, "--stack", stack, "--config-file", configFile], {
            cwd: repo, env: engineEnv(s, env), maxBuffer: 64 << 20, timeout: 1_500_000,
        });
        return stdout;
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`pulumi ${args.join(" ")} -s ${stack}: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
    }
}

async function outputs(stack: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const { stdout } = await run("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], { cwd: repo, env: engineEnv(s, env) });
    return JSON.parse(stdout);
}

const get = (host: string) => httpsGet({ httpsPort: s.ports.https, ca }, host);
const root = () => mysql.createConnection({ socketPath: s.paths.mysqlSocket, user: "root" });

function stateText(): string {
    const backend = new URL(engineEnv(s, env).PULUMI_BACKEND_URL!).pathname;
    const walk = (d: string): string[] =>
        fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    return walk(backend).map((f) => fs.readFileSync(f, "utf8")).join("\n");
}

describe.skipIf(blocked.length > 0)("pulumi up of platform local and tenants acme and beta, then destroy beta", () => {
    const secrets: string[] = [];

    beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-platform-e2e-"));
        tenantsDir = path.join(dir, "tenants");
        fs.cpSync(path.join(repo, "devenv/tenants"), tenantsDir, { recursive: true });
        env = { ...process.env, MOKOWAAS_LOCAL_DIR: path.join(dir, "state"), MOKOWAAS_LOCAL_TENANTS: tenantsDir, PULUMI_BACKEND_URL: `file://${path.join(dir, "backend")}` };
        for (const name of ["http", "https", "ask", "fpm", "mysql", "ssh"]) env[`MOKOWAAS_LOCAL_${name.toUpperCase()}_PORT`] = String(await freePort());
        s = localSettings(env);
        const out = await local();
        expect(out).toMatch(/Pulumi mode: stacks local, acme, beta/);
        ca = fs.readFileSync(path.join(s.paths.caddy, "data/caddy/pki/authorities/local/root.crt"), "utf8");
    }, 1_800_000);

    afterAll(async () => {
        for (const stack of ["acme", "beta", "local"]) await pulumi(stack, "destroy", "--yes", "--skip-preview").catch(() => undefined);
        await local("down").catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
    }, 1_800_000);

    it("brought up the three stacks, each tenant with its URLs and a secret admin password", async () => {
        for (const t of ["acme", "beta"]) {
            const o = await outputs(t);
            expect(o.tenant).toBe(t);
            expect(o.platform).toBe("local");
            expect(o.adminPassword).toMatch(/^[A-Za-z0-9]{24}$/);
            secrets.push(o.adminPassword);
        }
        const platform = await outputs("local");
        expect(platform.mokowaas).toContain(s.paths.runtimeDir);
        secrets.push(platform.mysqlAdmin.password, platform.ssh.privateKey.trim().split("\n")[1]);
    });

    it("serves each dev host from its own database and answers 503 on each production host", async () => {
        for (const [t, dev, production] of [["acme", "dev.acme.example.com", "acme.example.com"], ["beta", "dev.beta.example.net", "beta.example.net"]]) {
            const page = await get(dev);
            expect(page.status, page.body).toBe(200);
            expect(JSON.parse(page.body).marker).toBe(`marker-of-${t}`);
            expect(JSON.parse(page.body).config.db).toBe(t);
            expect((await get(production)).status).toBe(503);
        }
        for (const t of ["acme", "beta"]) {
            const entry = JSON.parse(php(s.paths.root, `echo json_encode((new MokoWaaS\\Registry(MokoWaaS\\Paths::fromEnv()))->get("${t}"));`).stdout);
            secrets.push(entry.db.password, entry.secret);
        }
    });

    it("opens acme's production host after online: true and pulumi up", async () => {
        const file = path.join(tenantsDir, "acme.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^online: false$/m, "online: true"));
        await pulumi("acme", "up", "--yes", "--skip-preview");
        const page = await get("acme.example.com");
        expect(page.status, page.body).toBe(200);
        expect(JSON.parse(page.body).marker).toBe("marker-of-acme");
    });

    it("previews no change right after, for every stack", async () => {
        for (const stack of ["local", "acme", "beta"]) await pulumi(stack, "preview", "--expect-no-changes");
    });

    it("destroys beta: final archive, database and user gone, hosts 404, acme unaffected", async () => {
        await pulumi("beta", "destroy", "--yes", "--skip-preview");
        const archives = mokowaas(s.paths.root, ["backups", "beta", "--json"]);
        expect(archives.status, archives.stderr).toBe(0);
        const rows = JSON.parse(archives.stdout) as { archive: string }[];
        expect(rows.some((r) => r.archive.startsWith("beta-")), archives.stdout).toBe(true);
        const c = await root();
        try {
            const [dbs] = await c.query("SHOW DATABASES LIKE 'beta'");
            expect(dbs).toEqual([]);
            const [users] = await c.query("SELECT user, host FROM mysql.user WHERE user = 'beta'");
            expect(users).toEqual([]);
        } finally {
            await c.end();
        }
        expect((await get("dev.beta.example.net")).status).toBe(404);
        expect((await get("beta.example.net")).status).toBe(404);
        expect(JSON.parse((await get("dev.acme.example.com")).body).marker).toBe("marker-of-acme");
        expect((await get("acme.example.com")).status).toBe(200);
    });

    it("keeps no plaintext password or key in any state file", () => {
        const text = stateText();
        expect(secrets.length).toBeGreaterThanOrEqual(7);
        for (const secret of secrets) {
            expect(secret.length).toBeGreaterThan(10);
            expect(text.includes(secret), "a secret in plaintext state").toBe(false);
        }
    });
});
