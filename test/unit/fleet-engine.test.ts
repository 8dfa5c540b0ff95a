/**
 * The real engine under the fleet: AutomationRunner on LocalWorkspace, with two stacks run at once
 * in one work folder, through preview, up, a change, the preview of an offboarding and the
 * offboarding itself. The project is a throwaway one (component resources only, no plugins), so
 * this proves fleet's use of the Automation API independently of the platform program; it needs
 * only the Pulumi CLI and its Node.js language host (scripts/install-pulumi.sh). Without them the
 * suite is skipped, loudly, with the reason.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutomationRunner } from "../../fleet/automation";
import { engineEnv, findEngine } from "../../fleet/engine";
import type { Target } from "../../fleet/plan";
import { runFleet } from "../../fleet/runner";

const repo = path.join(__dirname, "..", "..");
const { engine, reason } = findEngine(repo);
const langHost = engine && [path.dirname(engine.command), ...(process.env.PATH ?? "").split(path.delimiter)].some((d) => fs.existsSync(path.join(d, "pulumi-language-nodejs")));
const skip = !engine ? reason : !langHost ? "the Pulumi CLI runs but pulumi-language-nodejs is missing (scripts/install-pulumi.sh)" : undefined;
if (skip) console.warn(`\n*** SKIPPING the real-engine fleet tests: ${skip} ***\n`);

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

describe.skipIf(skip !== undefined)("fleet on the real Pulumi engine", () => {
    let dir: string;
    let runner: AutomationRunner;
    const t = (stack: string, operation: Target["operation"]): Target => ({ stack, role: "tenant", platform: "local", operation, reason: "engine test" });

    beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-engine-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: fleettest\nruntime: nodejs\nmain: index.js\n");
        fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
        fs.writeFileSync(path.join(dir, "package.json"), '{"name":"fleettest","private":true}\n');
        fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"));
        fs.mkdirSync(path.join(dir, "tenants"));
        fs.writeFileSync(path.join(dir, "tenants", "alpha.txt"), "db\nfolders\n");
        fs.writeFileSync(path.join(dir, "tenants", "bravo.txt"), "db\nfolders\ndns\n");
        const env = engineEnv(dir, engine!, { ...process.env, PULUMI_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: "fleet-test-passphrase" });
        runner = await AutomationRunner.create(dir, engine!, env);
    }, 120_000);
    afterAll(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("previews two stacks that do not exist yet, creating them, two at a time", async () => {
        const out = await runFleet([t("alpha", "preview"), t("bravo", "preview")], runner, { concurrency: 2 });
        expect(out.map((o) => [o.stack, o.result, o.error])).toEqual([["alpha", "succeeded", undefined], ["bravo", "succeeded", undefined]]);
        // the Stack resource plus one component per line
        expect(out.map((o) => o.counts?.create)).toEqual([3, 4]);
        expect(out[1].output).toContain("fleettest:index:Part");
        expect(fs.readdirSync(path.join(dir, ".pulumi", ".pulumi", "stacks", "fleettest")).sort()).toEqual(expect.arrayContaining(["alpha.json", "bravo.json"]));
    }, 300_000);

    it("brings both up, then previews a change as exactly that change", async () => {
        const up = await runFleet([t("alpha", "up"), t("bravo", "up")], runner, { concurrency: 2 });
        expect(up.map((o) => [o.result, o.counts?.create])).toEqual([["succeeded", 3], ["succeeded", 4]]);
        fs.writeFileSync(path.join(dir, "tenants", "alpha.txt"), "db\nfolders\nbackup\n");
        const [again] = await runFleet([t("alpha", "preview")], runner, { concurrency: 1 });
        expect(again.counts).toMatchObject({ create: 1, delete: 0, same: 3 });
    }, 300_000);

    it("previews an offboarding without changing anything, then offboards", async () => {
        const [preview] = await runFleet([t("bravo", "preview-destroy")], runner, { concurrency: 1 });
        expect(preview.result).toBe("succeeded");
        expect(preview.counts?.delete).toBe(4);
        const [status] = await runFleet([t("bravo", "status")], runner, { concurrency: 1 });
        expect(status.note).toMatch(/^last update succeeded at /);
        const [destroy] = await runFleet([t("bravo", "destroy")], runner, { concurrency: 1 });
        expect(destroy.counts?.delete).toBe(4);
        const [nothing] = await runFleet([t("never-created", "destroy")], runner, { concurrency: 1 });
        expect(nothing).toMatchObject({ result: "succeeded", note: "no stack: nothing to offboard" });
    }, 300_000);
});
