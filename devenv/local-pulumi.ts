/**
 * The Pulumi mode of `npm run local`: the real engine runs this project's program (index.ts) for
 * platform stack `local` and one tenant stack per demo tenant, against a file backend, with this
 * machine reached over a private sshd as the `existing` server. It runs only when every engine
 * part is present (scripts/install-pulumi.sh writes them to toolchain.txt); nothing stands in for
 * a missing part.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify as toYaml, parse as parseYaml } from "yaml";
import type { TenantSpec } from "../components/tenant-spec";
import { type LocalJoomla, localPlatformRaw } from "./local-platform";
import type { LocalSettings } from "./local-settings";
import { sshdHostKey } from "./sshd";
import { toolchain } from "./toolchain";

/** Engine parts a `pulumi up` of this project needs (names as in toolchain.txt). */
export const ENGINE_PARTS = ["cli", "language-nodejs", "plugin-command", "plugin-random", "plugin-mysql", "dynamic-provider-host"] as const;

/** The passphrase of the local stacks' secrets when PULUMI_CONFIG_PASSPHRASE is not set: local demo data only. */
export const LOCAL_PASSPHRASE = "mokowaas-local-only";

export function pulumiHome(_s: LocalSettings, env: NodeJS.ProcessEnv = process.env): string {
    return env.PULUMI_HOME || toolchain().pulumiHome;
}

/** Parts missing from toolchain.txt, each with the installer's reason; empty when the engine is complete. */
export function blockedEngineParts(s: LocalSettings, env: NodeJS.ProcessEnv = process.env): string[] {
    const file = path.join(pulumiHome(s, env), "toolchain.txt");
    if (!fs.existsSync(file)) return [`toolchain: no ${file} (bash scripts/install-pulumi.sh did not run)`];
    const parts = new Map(
        fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => {
            const [name, state, detail = ""] = l.split("\t");
            return [name, { ok: state === "ok", detail }] as const;
        }),
    );
    return ENGINE_PARTS.filter((p) => !parts.get(p)?.ok).map((p) => `${p}: ${parts.get(p)?.detail ?? "not reported by scripts/install-pulumi.sh"}`);
}

export function engineEnv(s: LocalSettings, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const home = pulumiHome(s, env);
    const out: NodeJS.ProcessEnv = {
        ...env,
        PULUMI_HOME: home,
        PATH: [path.join(home, "bin"), path.join(s.repo, "node_modules/@pulumi/pulumi"), env.PATH ?? "/usr/bin:/bin"].join(":"),
        PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL || `file://${path.join(s.repo, ".pulumi")}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    if (out.PULUMI_CONFIG_PASSPHRASE === undefined && !out.PULUMI_CONFIG_PASSPHRASE_FILE) out.PULUMI_CONFIG_PASSPHRASE = LOCAL_PASSPHRASE;
    const backend = out.PULUMI_BACKEND_URL!;
    if (backend.startsWith("file://")) fs.mkdirSync(backend.slice("file://".length), { recursive: true });
    return out;
}

/** Writes a stack config file, keeping its `encryptionsalt` (the stack's passphrase salt). */
function writeStackConfig(file: string, config: Record<string, unknown>, salt?: string): void {
    const old = fs.existsSync(file) ? (parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null) : null;
    const encryptionsalt = salt ?? old?.encryptionsalt;
    const doc = { ...(encryptionsalt ? { encryptionsalt } : {}), config };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `# Written by npm run local (devenv/local-pulumi.ts) from Pulumi.local.yaml; rewritten every run.\n${toYaml(doc)}`);
}

/** The stack config files of platform `local` and the tenant stacks (this machine's paths and ports). */
export function writeStackConfigs(s: LocalSettings, joomla: LocalJoomla, tenants: TenantSpec[]): Record<string, string> {
    const files: Record<string, string> = {};
    const raw = localPlatformRaw(s, joomla, { sshHostKey: sshdHostKey(s.paths.sshd) });
    files.local = path.join(s.paths.pulumi, "Pulumi.local.yaml");
    writeStackConfig(files.local, Object.fromEntries(Object.entries(raw).map(([k, v]) => [`mokowaas:${k}`, v])));
    for (const t of tenants) {
        files[t.name] = path.join(s.paths.pulumi, `Pulumi.${t.name}.yaml`);
        writeStackConfig(files[t.name], { "mokowaas:tenantsDir": s.tenantsDir, "mokowaas:platformStack": "organization/mokowaas/local" });
    }
    return files;
}

/** Runs the CLI in the project folder; output streams to the terminal, never secrets (they stay in state). */
export function pulumi(s: LocalSettings, args: string[], env: NodeJS.ProcessEnv, capture = false): string {
    const r = spawnSync("pulumi", args, { cwd: s.repo, env, encoding: "utf8", stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit" });
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${r.status})${capture ? `: ${r.stderr}` : ""}`);
    return r.stdout ?? "";
}

export interface StackResult {
    stack: string;
    outputs: Record<string, unknown>;
}

/** Stacks of this project in the backend. */
export function existingStacks(s: LocalSettings, env: NodeJS.ProcessEnv): string[] {
    const list = JSON.parse(pulumi(s, ["stack", "ls", "--json"], env, true) || "[]") as { name: string }[];
    return list.map((st) => st.name.split("/").pop()!);
}

/**
 * Creates a stack that does not exist yet. `pulumi stack init` writes the stack's passphrase salt
 * into Pulumi.<stack>.yaml beside Pulumi.yaml, which would dirty the repository (Pulumi.local.yaml
 * is tracked): it runs in a scratch project folder instead, and the salt moves into the stack's
 * config file under the state folder.
 */
export function createStack(s: LocalSettings, stack: string, file: string, env: NodeJS.ProcessEnv): void {
    const scratch = path.join(s.paths.pulumi, "init");
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.mkdirSync(scratch, { recursive: true });
    fs.copyFileSync(path.join(s.repo, "Pulumi.yaml"), path.join(scratch, "Pulumi.yaml"));
    pulumi(s, ["stack", "init", stack, "--cwd", scratch], env, true);
    const created = path.join(scratch, `Pulumi.${stack}.yaml`);
    const salt = fs.existsSync(created) ? (parseYaml(fs.readFileSync(created, "utf8")) as { encryptionsalt?: string } | null)?.encryptionsalt : undefined;
    const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
    writeStackConfig(file, config, salt);
    fs.rmSync(scratch, { recursive: true, force: true });
}

/** `pulumi up` of platform `local`, then of each tenant stack (each stack created when missing). */
export function upWithPulumi(s: LocalSettings, joomla: LocalJoomla, tenants: TenantSpec[], log: (l: string) => void): StackResult[] {
    const env = engineEnv(s);
    const files = writeStackConfigs(s, joomla, tenants);
    const results: StackResult[] = [];
    const existing = existingStacks(s, env);
    for (const stack of ["local", ...tenants.map((t) => t.name)]) {
        log(`pulumi up -s ${stack} (config ${files[stack]})`);
        if (!existing.includes(stack)) createStack(s, stack, files[stack], env);
        pulumi(s, ["up", "--yes", "--skip-preview", "--stack", stack, "--config-file", files[stack]], env);
        const outputs = JSON.parse(pulumi(s, ["stack", "output", "--json", "--show-secrets", "--stack", stack], env, true)) as Record<string, unknown>;
        results.push({ stack, outputs });
    }
    return results;
}

/**
 * Demo tenants whose file is gone from the tenants folder but whose stack `npm run local` created
 * (its config file is in the state folder): each is offboarded with `pulumi destroy` (final Borg
 * archive first, then its database, user and registry entry go) and its stack removed.
 */
export function offboardRemovedTenants(s: LocalSettings, tenants: TenantSpec[], log: (l: string) => void): string[] {
    const env = engineEnv(s);
    const existing = existingStacks(s, env);
    const gone: string[] = [];
    for (const f of fs.existsSync(s.paths.pulumi) ? fs.readdirSync(s.paths.pulumi) : []) {
        const m = /^Pulumi\.([a-z][a-z0-9-]*)\.yaml$/.exec(f);
        if (!m || m[1] === "local" || tenants.some((t) => t.name === m[1])) continue;
        const file = path.join(s.paths.pulumi, f);
        const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
        if (config["mokowaas:platformStack"] !== "organization/mokowaas/local") continue;
        const stack = m[1];
        if (existing.includes(stack)) {
            log(`tenant ${stack}: its file is no longer in ${s.tenantsDir}: offboarding it (pulumi destroy -s ${stack})`);
            pulumi(s, ["destroy", "--yes", "--skip-preview", "--stack", stack, "--config-file", file], env);
            pulumi(s, ["stack", "rm", "--yes", stack], env, true);
        }
        fs.rmSync(file);
        gone.push(stack);
    }
    return gone;
}
