/**
 * Where the Pulumi engine and its state live for fleet runs: the CLI that scripts/install-pulumi.sh
 * put in its PULUMI_HOME (recorded in .cache/toolchain.json by scripts/setup.sh), or one on PATH;
 * the backend (PULUMI_BACKEND_URL, default a file backend in `<repo>/.pulumi`), and the passphrase
 * (PULUMI_CONFIG_PASSPHRASE or _FILE).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface Engine {
    /** Absolute path of the `pulumi` binary. */
    command: string;
    /** PULUMI_HOME holding the plugins, when the cached install is used. */
    home?: string;
    version: string;
}

/** PULUMI_HOME of the engine scripts/install-pulumi.sh installed: the environment's, else the one setup.sh recorded. */
export function installedPulumiHome(repo: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.PULUMI_HOME) return env.PULUMI_HOME;
    try {
        return (JSON.parse(fs.readFileSync(path.join(repo, ".cache", "toolchain.json"), "utf8")) as { pulumiHome?: string }).pulumiHome;
    } catch {
        return undefined;
    }
}

/** The CLI install-pulumi.sh installed first, then one on PATH; undefined with the reason when neither runs. */
export function findEngine(repo: string, env: NodeJS.ProcessEnv = process.env): { engine?: Engine; reason?: string } {
    const home = installedPulumiHome(repo, env);
    const candidates: { command: string; home?: string }[] = [];
    const cached = home ? path.join(home, "bin", "pulumi") : undefined;
    if (cached && fs.existsSync(cached)) candidates.push({ command: cached, home });
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        const p = path.join(dir, "pulumi");
        if (fs.existsSync(p)) {
            candidates.push({ command: p, home: env.PULUMI_HOME });
            break;
        }
    }
    const tried: string[] = [];
    for (const c of candidates) {
        try {
            const version = execFileSync(c.command, ["version"], { encoding: "utf8", env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 }).trim();
            return { engine: { command: c.command, home: c.home, version } };
        } catch (e) {
            tried.push(`${c.command}: ${(e as Error).message.split("\n")[0]}`);
        }
    }
    return {
        reason:
            tried.length > 0
                ? `the Pulumi CLI does not run (${tried.join("; ")})`
                : `no Pulumi CLI: neither ${cached ?? "an installed one (.cache/toolchain.json)"} nor pulumi on PATH (run bash scripts/setup.sh)`,
    };
}

/** What every CLI call gets, whatever its backend: the engine's PULUMI_HOME, no update check, no plugin downloads. */
export function baseEngineEnv(engine: Engine, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const out: Record<string, string> = {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ?? "true",
    };
    if (engine.home) out.PULUMI_HOME = engine.home;
    return out;
}

/** Backend URL and passphrase for the workspace; a clear error when the passphrase is missing. */
export function engineEnv(repo: string, engine: Engine, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const out: Record<string, string> = {
        PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL || `file://${path.join(repo, ".pulumi")}`,
        ...baseEngineEnv(engine, env),
    };
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) out.PULUMI_CONFIG_PASSPHRASE = env.PULUMI_CONFIG_PASSPHRASE;
    else if (env.PULUMI_CONFIG_PASSPHRASE_FILE) out.PULUMI_CONFIG_PASSPHRASE_FILE = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    else throw new Error("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set: the stacks' secrets are encrypted with it; export it or set the CI secret");
    if (out.PULUMI_BACKEND_URL.startsWith("file://")) fs.mkdirSync(out.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
    return out;
}

/**
 * The Node.js language host that runs a project folder's program (`pulumi-language-nodejs`): next
 * to the CLI, on PATH, or installed as a plugin under PULUMI_HOME. Undefined when absent.
 */
export function findLanguageHost(engine: Engine, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const dirs = [path.dirname(engine.command), ...(env.PATH ?? "").split(path.delimiter).filter(Boolean)];
    for (const d of dirs) {
        const p = path.join(d, "pulumi-language-nodejs");
        if (fs.existsSync(p)) return p;
    }
    const plugins = path.join(engine.home ?? path.join(env.HOME ?? "", ".pulumi"), "plugins");
    const dir = fs.existsSync(plugins) ? fs.readdirSync(plugins).find((d) => d.startsWith("language-nodejs")) : undefined;
    return dir ? path.join(plugins, dir, "pulumi-language-nodejs") : undefined;
}
