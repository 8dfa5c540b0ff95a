/**
 * Moves states between backends for pull-request previews (docs/fleet.md, "Pull request
 * previews"), with the engine's own export and import:
 *
 *  - publishPreviewState (the deploy job, after `fleet up`, the only place with the production
 *    passphrase): every stack of the production backend, secrets replaced (fleet/preview-state.ts),
 *    into the preview backend, encrypted with the public PREVIEW_PASSPHRASE; stacks gone from
 *    production are removed from it. Each copy is read back and searched for every production
 *    secret before the next one is written.
 *  - fetchPreviewState (the preview job, with a key that can only read the preview backend):
 *    every stack of it into a local file backend, where a preview may create and write what it
 *    likes, and the repo's stack config files rewritten to match (their salt, placeholders for
 *    their secure values, no provider credentials).
 *
 * Stacks are created, exported and imported in a scratch folder holding only the project file, so
 * that no command meets a Pulumi.<stack>.yaml whose salt belongs to the other passphrase.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type PulumiCommand } from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";
import {
    configPlaceholder,
    decryptedAt,
    generatedSecrets,
    isRewritten,
    leaksOf,
    pathsOf,
    placeholderKey,
    PREVIEW_PASSPHRASE,
    PROVIDER_CREDENTIAL_KEYS,
    previewStackConfig,
    projectName,
    Redactor,
    secureValues,
    type ConfigSecret,
} from "./preview-state";
import { pool } from "./runner";

export interface MirrorOptions {
    repo: string;
    pulumiCommand: PulumiCommand;
    /** Variables every CLI call gets (PULUMI_HOME, no update check, ...); backend and passphrase are set here. */
    baseEnv: Record<string, string>;
    log: (line: string) => void;
}

type Deployment = { version: number; deployment: Record<string, unknown> };

/** Stacks copied at once: each copy is a few CLI calls, each about a second (the passphrase's key derivation). */
const CONCURRENCY = 4;
type Workspace = LocalWorkspace;

const stackName = (s: { name: string }) => s.name.split("/").pop()!;

/** `Pulumi.<stack>.yaml` files of the repo, by stack name. */
export function stackConfigFiles(repo: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const f of fs.readdirSync(repo).sort()) {
        const m = /^Pulumi\.([^.]+)\.ya?ml$/.exec(f);
        if (m) out.set(m[1], path.join(repo, f));
    }
    return out;
}

/** A temporary folder holding a copy of the project file only. */
function scratchProject(repo: string): { dir: string; cleanup: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-preview-state-"));
    fs.copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function workspace(o: MirrorOptions, workDir: string, backend: string, passphrase: string): Promise<Workspace> {
    const envVars = { ...o.baseEnv, PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: passphrase };
    delete (envVars as Record<string, string>).PULUMI_CONFIG_PASSPHRASE_FILE;
    return LocalWorkspace.create({ workDir, pulumiCommand: o.pulumiCommand, envVars });
}

/** Imports `deployment` into `stack` of `ws` (created when `create`), under that stack's own secrets provider. */
async function importInto(ws: Workspace, stack: string, create: boolean, d: Deployment): Promise<void> {
    if (create) await ws.createStack(stack);
    // Pulumi types a checkpoint's `deployment` as any: the engine's own format, passed through whole.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access
    const own = (await ws.exportStack(stack)).deployment?.secrets_providers;
    if (!own) throw new Error(`stack ${stack}: the engine reported no secrets provider for it`);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
    await ws.importStack(stack, { version: d.version, deployment: { ...d.deployment, secrets_providers: own } });
}

export interface PublishOptions extends MirrorOptions {
    productionBackend: string;
    productionPassphrase: string;
    previewBackend: string;
}

/** Copies every production stack, secrets replaced, into the preview backend. Returns the stacks copied. */
export async function publishPreviewState(o: PublishOptions): Promise<string[]> {
    const project = projectName(fs.readFileSync(path.join(o.repo, "Pulumi.yaml"), "utf8"));
    const prod = await workspace(o, o.repo, o.productionBackend, o.productionPassphrase);
    const stacks = (await prod.listStacks()).map(stackName).sort();

    // Config secrets: the value (decrypted by the engine) and the ciphertext the preview will see.
    const configSecrets: ConfigSecret[] = [];
    for (const [stack, file] of stackConfigFiles(o.repo)) {
        const secure = secureValues(fs.readFileSync(file, "utf8"), project);
        if (secure.length === 0 || !stacks.includes(stack)) continue;
        const config = (await prod.getAllConfig(stack)) as Record<string, { value?: string; objectValue?: unknown }>;
        for (const s of secure) {
            const value = decryptedAt(config[s.key], s.path);
            if (value === undefined) throw new Error(`${path.basename(file)}: ${[s.key, ...s.path].join(".")}: the engine did not return its value`);
            configSecrets.push({ ciphertext: s.ciphertext, value });
        }
    }

    const exported = new Map<string, Deployment>();
    await pool(stacks, CONCURRENCY, async (stack) => void exported.set(stack, await prod.exportStack(stack)));
    // Placeholders for what the stacks pass to each other are the same in every copy.
    const redactor = new Redactor(placeholderKey(o.productionPassphrase), configSecrets, [...exported.values()].flatMap((d) => generatedSecrets(d.deployment)));
    const configValues = configSecrets.map((c) => c.value);

    const scratch = scratchProject(o.repo);
    try {
        const mirror = await workspace(o, scratch.dir, o.previewBackend, PREVIEW_PASSPHRASE);
        const existing = new Set((await mirror.listStacks()).map(stackName));
        for (const gone of [...existing].filter((s) => !stacks.includes(s))) {
            await mirror.removeStack(gone, { force: true });
            o.log(`preview-state: ${gone}: removed (no such stack in production any more)`);
        }
        await pool(stacks, CONCURRENCY, async (stack) => {
            const d = exported.get(stack)!;
            await importInto(mirror, stack, !existing.has(stack), { version: d.version, deployment: redactor.redactDeployment(d.deployment) });
            const copy = await mirror.exportStack(stack);
            const leaks = leaksOf(d.deployment, copy.deployment, configValues);
            if (leaks.length > 0) {
                await mirror.removeStack(stack, { force: true });
                const where = [...new Set(leaks.flatMap((l) => pathsOf(copy.deployment, l)))].slice(0, 5).join(", ");
                throw new Error(`the preview copy of ${stack} still held ${leaks.length} production secret(s) (at ${where}), so it was removed again: this is a bug in fleet/preview-state.ts`);
            }
            o.log(`preview-state: ${stack}: published (${(d.deployment.resources as unknown[] | undefined)?.length ?? 0} resources)`);
        });
    } finally {
        scratch.cleanup();
    }
    return stacks;
}

export interface FetchOptions extends MirrorOptions {
    previewBackend: string;
    /** Folder of the local file backend the preview then runs against (created; should be empty). */
    localDir: string;
}

/**
 * Copies the preview backend into a local file backend and rewrites the repo's stack config
 * files for it. Returns the environment a preview then runs with.
 */
export async function fetchPreviewState(o: FetchOptions): Promise<Record<string, string>> {
    const project = projectName(fs.readFileSync(path.join(o.repo, "Pulumi.yaml"), "utf8"));
    fs.mkdirSync(o.localDir, { recursive: true });
    const local = `file://${path.resolve(o.localDir)}`;
    const scratchA = scratchProject(o.repo);
    const scratchB = scratchProject(o.repo);
    try {
        const mirror = await workspace(o, scratchA.dir, o.previewBackend, PREVIEW_PASSPHRASE);
        const ws = await workspace(o, scratchB.dir, local, PREVIEW_PASSPHRASE);
        const stacks = (await mirror.listStacks()).map(stackName).sort();
        await pool(stacks, CONCURRENCY, async (stack) => importInto(ws, stack, true, await mirror.exportStack(stack)));
        o.log(`preview-state: ${stacks.length} stack(s) copied from the preview state: ${stacks.join(", ") || "none"}`);

        for (const [stack, file] of stackConfigFiles(o.repo)) {
            const text = fs.readFileSync(file, "utf8");
            if (isRewritten(text)) throw new Error(`${path.basename(file)} was already rewritten for a preview: fetch into a fresh checkout`);
            const secure = secureValues(text, project);
            const doc = parseDocument(text).toJS() as { encryptionsalt?: unknown; config?: Record<string, unknown> } | null;
            const credentials = Object.keys(doc?.config ?? {}).some((k) => (PROVIDER_CREDENTIAL_KEYS as readonly string[]).includes(k));
            if (secure.length === 0 && doc?.encryptionsalt === undefined && !credentials) continue;
            // A stack the PR adds gets created here, so its file can carry the salt it will have.
            if (!stacks.includes(stack)) await ws.createStack(stack);
            const placeholders = [...new Set(secure.map((s) => configPlaceholder(s.ciphertext)))];
            const tempKey = (i: number) => `${project}:previewPlaceholder${i}`;
            if (placeholders.length > 0) await ws.setAllConfig(stack, Object.fromEntries(placeholders.map((p, i) => [tempKey(i), { value: p, secret: true }])));
            const scratchFile = parseDocument(fs.readFileSync(path.join(scratchB.dir, `Pulumi.${stack}.yaml`), "utf8")).toJS() as {
                encryptionsalt?: string;
                config?: Record<string, { secure?: string }>;
            };
            if (!scratchFile.encryptionsalt) throw new Error(`stack ${stack}: the engine wrote no encryption salt for it`);
            const encrypted = new Map(
                secure.map((s) => {
                    const ciphertext = scratchFile.config?.[tempKey(placeholders.indexOf(configPlaceholder(s.ciphertext)))]?.secure;
                    if (!ciphertext) throw new Error(`stack ${stack}: the engine did not encrypt a placeholder`);
                    return [s.ciphertext, ciphertext];
                }),
            );
            fs.writeFileSync(file, previewStackConfig(text, project, scratchFile.encryptionsalt, encrypted));
            o.log(`preview-state: ${path.basename(file)}: ${secure.length} secure value(s) replaced by placeholders${credentials ? ", provider credentials left to the environment" : ""}`);
        }
    } finally {
        scratchA.cleanup();
        scratchB.cleanup();
    }
    return { PULUMI_BACKEND_URL: local, PULUMI_CONFIG_PASSPHRASE: PREVIEW_PASSPHRASE };
}
