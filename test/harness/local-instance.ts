/**
 * A private instance of `npm run local` for the e2e tier: its own state folder, free ports, its
 * own Pulumi file backend and a copy of the demo tenant files, so a developer's running instance
 * is untouched. The README's command runs exactly as a user types it.
 */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { engineEnv } from "../../devenv/local-pulumi";
import { type LocalSettings, localSettings } from "../../devenv/local-settings";
import { freePort } from "../../devenv/ports";
import { JoomlaBrowser } from "./joomla-browser";

const run = promisify(execFile);
export const REPO = path.resolve(__dirname, "../..");

export class LocalInstance {
    readonly tenantsDir: string;
    readonly backend: string;
    env: NodeJS.ProcessEnv = {};
    settings!: LocalSettings;

    private constructor(readonly dir: string) {
        this.tenantsDir = path.join(dir, "tenants");
        this.backend = path.join(dir, "backend");
    }

    /** A new instance with the demo tenants of devenv/tenants (plus `extraTenants`: file name -> YAML). */
    static async create(extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Promise<LocalInstance> {
        const i = new LocalInstance(fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-local-e2e-")));
        fs.cpSync(path.join(REPO, "devenv/tenants"), i.tenantsDir, { recursive: true });
        for (const [file, yaml] of Object.entries(extra)) fs.writeFileSync(path.join(i.tenantsDir, file), yaml);
        i.env = { ...process.env, MOKOWAAS_LOCAL_DIR: path.join(i.dir, "state"), MOKOWAAS_LOCAL_TENANTS: i.tenantsDir, PULUMI_BACKEND_URL: `file://${i.backend}`, ...env };
        for (const name of ["http", "https", "ask", "fpm", "mysql", "ssh"]) i.env[`MOKOWAAS_LOCAL_${name.toUpperCase()}_PORT`] = String(await freePort());
        i.settings = localSettings(i.env);
        return i;
    }

    /** `npm run local -- <args>`; its whole output. */
    async local(...args: string[]): Promise<string> {
        try {
            const { stdout, stderr } = await run("npm", ["run", "--silent", "local", "--", ...args], { cwd: REPO, env: this.env, maxBuffer: 64 << 20, timeout: 1_500_000 });
            return stdout + stderr;
        } catch (e) {
            const err = e as { stdout?: string; stderr?: string; message: string };
            throw new Error(`npm run local ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`, { cause: e });
        }
    }

    /** The Pulumi CLI on this project, as `npm run local` runs it (the stack's config file from the state folder when it has one). */
    async pulumi(stack: string, ...args: string[]): Promise<string> {
        const configFile = path.join(this.settings.paths.pulumi, `Pulumi.${stack}.yaml`);
        const withConfig = ["up", "preview", "destroy", "refresh"].includes(args[0]) ? ["--config-file", configFile] : [];
        try {
            const { stdout } = await run("pulumi", [...args, "--stack", stack, ...withConfig], {
                cwd: REPO, env: engineEnv(this.settings, this.env), maxBuffer: 64 << 20, timeout: 1_500_000,
            });
            return stdout;
        } catch (e) {
            const err = e as { stdout?: string; stderr?: string; message: string };
            throw new Error(`pulumi ${args.join(" ")} -s ${stack}: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`, { cause: e });
        }
    }

    async outputs(stack: string): Promise<Record<string, any>> {
        return JSON.parse(await this.pulumi(stack, "stack", "output", "--json", "--show-secrets"));
    }

    get caFile(): string {
        return path.join(this.settings.paths.caddy, "data/caddy/pki/authorities/local/root.crt");
    }

    browser(host: string): JoomlaBrowser {
        return new JoomlaBrowser(host, this.settings.ports.https, fs.readFileSync(this.caFile, "utf8"));
    }

    setOnline(tenant: string): void {
        const file = path.join(this.tenantsDir, `${tenant}.yaml`);
        const yaml = fs.readFileSync(file, "utf8");
        fs.writeFileSync(file, /^online: /m.test(yaml) ? yaml.replace(/^online: false$/m, "online: true") : `${yaml}online: true\n`);
    }

    /** Stops the instance's services and removes its folder. */
    async remove(): Promise<void> {
        await this.local("down").catch(() => undefined);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Runs a `curl ...` line exactly as printed (no shell: the words are split on spaces). */
export function curlLine(line: string): { status: number; body: string } {
    const words = line.trim().split(/\s+/);
    if (words[0] !== "curl") throw new Error(`not a curl line: ${line}`);
    const r = spawnSync("curl", ["-s", "-w", "\n%{http_code}", ...words.slice(1)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${line}: curl exit ${r.status}: ${r.stderr}`);
    const i = r.stdout.lastIndexOf("\n");
    return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}
