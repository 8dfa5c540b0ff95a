/**
 * The real engine under the fleet: AutomationRunner on LocalWorkspace, with two stacks run at once
 * in one work folder, through preview, up, a change, the preview of an offboarding and the
 * offboarding itself. The project is a throwaway one (component resources only, no plugins), so
 * this proves fleet's use of the Automation API independently of the platform program. The
 * inline-program suite needs only the Pulumi CLI; the project-folder suite (how fleet really runs
 * index.ts) also needs the Node.js language host. Each skips loudly, with the reason, without them
 * (under MOKOWAAS_STRICT=1, as in CI, they fail instead).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { AutomationRunner } from "../../fleet/automation";
import { engineEnv, findEngine, findLanguageHost } from "../../fleet/engine";
import type { Target } from "../../fleet/plan";
import { runFleet } from "../../fleet/runner";
import { skipWithout } from "../harness/strict";

const repo = path.join(__dirname, "..", "..");
const { engine, reason } = findEngine(repo);
const langHost = engine && findLanguageHost(engine);
const skipInline = skipWithout("fleet on the real Pulumi engine (inline program)", [engine ? undefined : reason]);
const skipLocal = skipInline || skipWithout("fleet on the real Pulumi engine (project folder)", [
    langHost ? undefined : "pulumi-language-nodejs: the Pulumi CLI runs but its Node.js language host is missing (scripts/install-pulumi.sh reports it blocked)",
]);

/** One component per line of tenants/<stack>.txt: lines are the "resources" a change adds or removes. */
function partsOf(dir: string, stack: string): string[] {
    const file = path.join(dir, "tenants", `${stack}.txt`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const fs = require("fs");
class Part extends pulumi.ComponentResource {
    constructor(name, opts) { super("fleettest:index:Part", name, {}, opts); this.registerOutputs({}); }
}
const stack = pulumi.getStack();
const file = "tenants/" + stack + ".txt";
const parts = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\\n").filter(Boolean) : [];
for (const p of parts) new Part(stack + "-" + p);
exports.parts = parts.length;
`;

/** A throwaway project folder with two tenants' part lists and a file backend inside it. */
function makeProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-engine-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: fleettest\nruntime: nodejs\nmain: index.js\n");
    fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
    fs.writeFileSync(path.join(dir, "package.json"), '{"name":"fleettest","private":true}\n');
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "tenants"));
    fs.writeFileSync(path.join(dir, "tenants", "alpha.txt"), "db\nfolders\n");
    fs.writeFileSync(path.join(dir, "tenants", "bravo.txt"), "db\nfolders\ndns\n");
    return dir;
}

const envFor = (dir: string) => engineEnv(dir, engine!, { ...process.env, PULUMI_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: "fleet-test-passphrase" });
const t = (stack: string, operation: Target["operation"]): Target => ({ stack, role: "tenant", platform: "local", operation, reason: "engine test" });

/** The same scenario for both ways of running the program. */
function scenario(getDir: () => string, getRunner: () => AutomationRunner, concurrency: number) {
    it("previews two stacks that do not exist yet, creating them", async () => {
        const out = await runFleet([t("alpha", "preview"), t("bravo", "preview")], getRunner(), { concurrency });
        expect(out.map((o) => [o.stack, o.result, o.error])).toEqual([["alpha", "succeeded", undefined], ["bravo", "succeeded", undefined]]);
        // the Stack resource plus one component per line
        expect(out.map((o) => o.counts?.create)).toEqual([3, 4]);
        expect(out[1].output).toContain("fleettest:index:Part");
        expect(fs.readdirSync(path.join(getDir(), ".pulumi", ".pulumi", "stacks", "fleettest")).sort()).toEqual(expect.arrayContaining(["alpha.json", "bravo.json"]));
    }, 300_000);

    it("brings both up, then previews a change as exactly that change", async () => {
        const up = await runFleet([t("alpha", "up"), t("bravo", "up")], getRunner(), { concurrency });
        expect(up.map((o) => [o.result, o.error, o.counts?.create])).toEqual([["succeeded", undefined, 3], ["succeeded", undefined, 4]]);
        fs.writeFileSync(path.join(getDir(), "tenants", "alpha.txt"), "db\nfolders\nbackup\n");
        const [again] = await runFleet([t("alpha", "preview")], getRunner(), { concurrency: 1 });
        expect(again.counts).toMatchObject({ create: 1, delete: 0, same: 3 });
    }, 300_000);

    it("previews an offboarding without changing anything, then offboards; a stack never created has nothing to offboard", async () => {
        const runner = getRunner();
        const [preview] = await runFleet([t("bravo", "preview-destroy")], runner, { concurrency: 1 });
        expect([preview.result, preview.error, preview.counts?.delete]).toEqual(["succeeded", undefined, 4]);
        const [status] = await runFleet([t("bravo", "status")], runner, { concurrency: 1 });
        expect(status.note).toMatch(/^last update succeeded at /);
        const [destroy] = await runFleet([t("bravo", "destroy")], runner, { concurrency: 1 });
        expect([destroy.result, destroy.error, destroy.counts?.delete]).toEqual(["succeeded", undefined, 4]);
        const [nothing] = await runFleet([t("never-created", "destroy")], runner, { concurrency: 1 });
        expect(nothing).toMatchObject({ result: "succeeded", note: "no stack: nothing to offboard" });
        expect((await runner.listStacks()).sort()).toEqual(["alpha", "bravo"]);
    }, 300_000);
}

describe.skipIf(skipInline)("fleet on the real Pulumi engine, inline program (CLI only)", () => {
    let dir: string;
    let runner: AutomationRunner;
    beforeAll(async () => {
        dir = makeProject();
        const env = envFor(dir);
        const cmd = await PulumiCommand.get({ root: path.dirname(path.dirname(engine!.command)) });
        // The same program as index.js, run in this process: the CLI needs no language host for it.
        const program = async () => {
            const stack = pulumi.getStack();
            class Part extends pulumi.ComponentResource {
                constructor(name: string) {
                    super("fleettest:index:Part", name, {}, {});
                    this.registerOutputs({});
                }
            }
            const parts = partsOf(dir, stack);
            for (const p of parts) new Part(`${stack}-${p}`);
            return { parts: parts.length };
        };
        const wsOpts = { workDir: dir, pulumiCommand: cmd, envVars: env };
        runner = await AutomationRunner.create(dir, engine!, env, (stackName, mode) =>
            mode === "create"
                ? LocalWorkspace.createOrSelectStack({ stackName, projectName: "fleettest", program }, wsOpts)
                : LocalWorkspace.selectStack({ stackName, projectName: "fleettest", program }, wsOpts),
        );
    }, 120_000);
    afterAll(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    scenario(() => dir, () => runner, 1);
});

describe.skipIf(skipLocal)("fleet on the real Pulumi engine, project folder (language host)", () => {
    let dir: string;
    let runner: AutomationRunner;
    beforeAll(async () => {
        dir = makeProject();
        runner = await AutomationRunner.create(dir, engine!, envFor(dir));
    }, 120_000);
    afterAll(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    // Two stacks at once in one work folder: separate CLI processes, as fleet runs them.
    scenario(() => dir, () => runner, 2);
});
