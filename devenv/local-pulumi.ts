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
import { localPlatformRaw } from "./local-platform";
import type { LocalSettings } from "./local-settings";
import { sshdHostKey } from "./sshd";
import type { StandinPackage } from "./standin-package";

/** Engine parts a `pulumi up` of this project needs (names as in toolchain.txt). */
export const ENGINE_PARTS = ["cli", "language-nodejs", "plugin-command", "plugin-random", "plugin-mysql", "dynamic-provider-host"] as const;

/** The passphrase of the local stacks' secrets when PULUMI_CONFIG_PASSPHRASE is not set: local demo data only. */
export const LOCAL_PASSPHRASE = "mokowaas-local-only";

export function pulumiHome(s: LocalSettings, env: NodeJS.ProcessEnv = process.env): string {
    return env.PULUMI_HOME || path.join(s.repo, ".cache", "pulumi");
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

/** Writes a stack config file, keeping the `encryptionsalt` the engine stored in it earlier. */
function writeStackConfig(file: string, config: Record<string, unknown>): void {
    const old = fs.existsSync(file) ? (parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null) : null;
    const doc = { ...(old?.encryptionsalt ? { encryptionsalt: old.encryptionsalt } : {}), config };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `# Written by npm run local (devenv/local-pulumi.ts) from Pulumi.local.yaml; rewritten every run.\n${toYaml(doc)}`);
}

/** The stack config files of platform `local` and the tenant stacks (this machine's paths and ports). */
export function writeStackConfigs(s: LocalSettings, pkg: StandinPackage, tenants: TenantSpec[]): Record<string, string> {
    const files: Record<string, string> = {};
    const raw = localPlatformRaw(s, pkg, { sshHostKey: sshdHostKey(s.paths.sshd) });
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

/** `pulumi up` of platform `local`, then of each tenant stack (each stack created when missing). */
export function upWithPulumi(s: LocalSettings, pkg: StandinPackage, tenants: TenantSpec[], log: (l: string) => void): StackResult[] {
    const env = engineEnv(s);
    const files = writeStackConfigs(s, pkg, tenants);
    const results: StackResult[] = [];
    for (const stack of ["local", ...tenants.map((t) => t.name)]) {
        log(`pulumi up -s ${stack} (config ${files[stack]})`);
        pulumi(s, ["stack", "select", "--create", stack], env, true);
        pulumi(s, ["up", "--yes", "--skip-preview", "--stack", stack, "--config-file", files[stack]], env);
        const outputs = JSON.parse(pulumi(s, ["stack", "output", "--json", "--show-secrets", "--stack", stack], env, true)) as Record<string, unknown>;
        results.push({ stack, outputs });
    }
    return results;
}
