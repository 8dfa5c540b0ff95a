/**
 * Pull-request previews against the preview state, through the real Pulumi engine (file backends
 * in a temp folder): a small project shaped like MokoWaaS (test/e2e/fixtures/preview-state: a
 * platform stack with a config secret, generated passwords and a parsed seed; a tenant stack
 * reading it through a StackReference) is brought up with a production passphrase; publish copies
 * it to a preview backend, fetch copies that to a local backend and rewrites the stack config.
 * Then, with the public preview passphrase only:
 *  - no file of either copy, and no preview output, holds any production secret;
 *  - the preview of both stacks shows no change (every placeholder is what the program computes);
 *  - a config secret changed in a "PR" shows as a change of the stack that uses it, and only there.
 * Needs only the CLI and the random and command plugins; without them it skips loudly (fails under
 * MOKOWAAS_STRICT=1).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type OpMap, type PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { pulumiCommandOf } from "../../fleet/automation";
import { baseEngineEnv, findEngine } from "../../fleet/engine";
import { fetchPreviewState, publishPreviewState } from "../../fleet/preview-mirror";
import { PREVIEW_PASSPHRASE, plainStrings, secretStrings } from "../../fleet/preview-state";
import { textOfFiles } from "../harness/files";
import { skipWithout } from "../harness/strict";

const repo = path.resolve(__dirname, "../..");
const { engine, reason } = findEngine(repo);
const plugins = engine?.home ? fs.readdirSync(path.join(engine.home, "plugins")) : [];
const skip = skipWithout("pull-request previews against the preview state", [
    engine ? undefined : reason,
    plugins.some((p) => /^resource-random-v[\d.]+$/.test(p)) ? undefined : "the random resource plugin (bash scripts/install-pulumi.sh)",
    plugins.some((p) => /^resource-command-v[\d.]+$/.test(p)) ? undefined : "the command resource plugin (bash scripts/install-pulumi.sh)",
]);

// Inside the repo: the language host resolves @pulumi/* from node_modules above the project.
const work = path.join(repo, ".cache/tmp", `preview-state-${randomBytes(4).toString("hex")}`);
const PROD_PASSPHRASE = `prod-${randomBytes(16).toString("hex")}`;
const SSH_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(120).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
const prodUrl = `file://${work}/prod`;
const mirrorUrl = `file://${work}/mirror`;
let pulumiCommand: PulumiCommand;
let base: Record<string, string>;
/** Every production secret of both stacks, in the clear. */
const secrets: string[] = [];

const opts = (env: Record<string, string>) => ({ workDir: work, pulumiCommand, envVars: { ...base, ...env } });
const prodEnv = () => ({ PULUMI_BACKEND_URL: prodUrl, PULUMI_CONFIG_PASSPHRASE: PROD_PASSPHRASE });
const log = () => {};

async function prodStack(name: string): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack({ stackName: name, workDir: work }, opts(prodEnv()));
}

/** The stack config files as committed (a fetch rewrites them; each fetch starts from a fresh checkout). */
const committed = new Map<string, string>();

/** Copies the preview state into a fresh local backend (rewriting the config files) and returns the preview's environment. */
async function fetchInto(dir: string): Promise<Record<string, string>> {
    for (const [f, text] of committed) fs.writeFileSync(path.join(work, f), text);
    fs.rmSync(path.join(work, "Pulumi.acme.yaml"), { force: true });
    const env = await fetchPreviewState({ repo: work, pulumiCommand, baseEnv: base, log, previewBackend: mirrorUrl, localDir: path.join(work, dir) });
    expect(env).toEqual({ PULUMI_BACKEND_URL: `file://${path.join(work, dir)}`, PULUMI_CONFIG_PASSPHRASE: PREVIEW_PASSPHRASE });
    return env;
}

async function preview(name: string, env: Record<string, string>): Promise<{ changes: OpMap; stdout: string }> {
    const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: work }, opts(env));
    const r = await stack.preview({ diff: true, color: "never" });
    return { changes: r.changeSummary, stdout: r.stdout };
}

const changed = (ops: OpMap) => Object.entries(ops).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);

function expectNoSecretIn(text: string, where: string) {
    const found = secrets.filter((s) => text.includes(s));
    expect(found.length, `${where} holds production secrets`).toBe(0);
}

describe.skipIf(skip)("pull-request previews against the preview state", () => {
    beforeAll(async () => {
        fs.mkdirSync(path.join(work, "prod"), { recursive: true });
        fs.mkdirSync(path.join(work, "mirror"), { recursive: true });
        for (const f of ["Pulumi.yaml", "index.js"]) fs.copyFileSync(path.join(__dirname, "fixtures/preview-state", f), path.join(work, f));
        pulumiCommand = await pulumiCommandOf(engine!);
        base = baseEngineEnv(engine!);

        const plat = await prodStack("plat");
        // A throwaway key, on the command line of a test only: the product never passes a secret in argv.
        await plat.setAllConfig({ "pvstate:sshPrivateKey": { value: SSH_KEY, secret: true }, "pvstate:greeting": { value: "hello" } });
        await plat.up({ color: "never" });
        await (await prodStack("acme")).up({ color: "never" });
        // The platform's config file is committed; a tenant's need not be (docs/fleet.md): without it
        // the engine takes the salt from the state, here the preview state's.
        committed.set("Pulumi.plat.yaml", fs.readFileSync(path.join(work, "Pulumi.plat.yaml"), "utf8"));

        for (const name of ["plat", "acme"]) {
            const d = (await (await prodStack(name)).exportStack()).deployment as unknown;
            const open = plainStrings(d).join("\n");
            secrets.push(...secretStrings(d).filter((s) => s.length >= 8 && !open.includes(s)));
        }
        secrets.push(SSH_KEY, SSH_KEY.split("\n")[1].slice(0, 40), PROD_PASSPHRASE);
        expect(secrets.length).toBeGreaterThan(8);

        const published = await publishPreviewState({ repo: work, pulumiCommand, baseEnv: base, log, productionBackend: prodUrl, productionPassphrase: PROD_PASSPHRASE, previewBackend: mirrorUrl });
        expect(published).toEqual(["acme", "plat"]);
    });
    afterAll(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("holds no production secret in the preview state nor in the local copy", async () => {
        expectNoSecretIn(textOfFiles(path.join(work, "mirror")), "the preview backend");
        await fetchInto("local");
        expectNoSecretIn(textOfFiles(path.join(work, "local")), "the local backend");
        const config = fs.readFileSync(path.join(work, "Pulumi.plat.yaml"), "utf8");
        expect(config).toMatch(/pvstate:sshPrivateKey:\n\s+secure: v1:/);
        expect(config).toContain("pvstate:greeting: hello");
        expect(config).toMatch(/^# Rewritten for a pull-request preview .* Do not commit\./);
        const before = parseDocument(committed.get("Pulumi.plat.yaml")!).toJS() as { encryptionsalt: string };
        expect(config).not.toContain(before.encryptionsalt);
        // A second fetch over rewritten files would replace placeholders by placeholders of them.
        await expect(fetchPreviewState({ repo: work, pulumiCommand, baseEnv: base, log, previewBackend: mirrorUrl, localDir: path.join(work, "again") })).rejects.toThrow(/already rewritten/);
    });

    it("previews both stacks with no change, and the output shows no secret", async () => {
        const env = await fetchInto("local-2");
        for (const name of ["plat", "acme"]) {
            const r = await preview(name, env);
            expect(changed(r.changes), `${name}:\n${r.stdout}`).toEqual([]);
            expectNoSecretIn(r.stdout, `the preview of ${name}`);
        }
    });

    it("shows a config secret changed in the pull request as a change of the stack that uses it", async () => {
        // The PR's author re-encrypts the key with the production passphrase, as `pulumi config set --secret` does.
        for (const [f, text] of committed) fs.writeFileSync(path.join(work, f), text);
        fs.rmSync(path.join(work, "Pulumi.acme.yaml"), { force: true });
        const plat = await prodStack("plat");
        await plat.setConfig("pvstate:sshPrivateKey", { value: `${SSH_KEY}# rotated\n`, secret: true });
        committed.set("Pulumi.plat.yaml", fs.readFileSync(path.join(work, "Pulumi.plat.yaml"), "utf8"));
        const env = await fetchInto("local-3");
        const r = await preview("plat", env);
        expect(changed(r.changes), r.stdout).toEqual([["update", 1]]);
        expect(r.stdout).toMatch(/command:local:Command: \(update\)[\s\S]*setup/);
        // The tenant reads the platform's published outputs: unchanged until the platform is up.
        expect(changed((await preview("acme", env)).changes)).toEqual([]);
    });
});
