/**
 * The real StackRunner: Pulumi's Automation API on a LocalWorkspace whose workDir is the project
 * (so index.ts picks the stack's role and dynamic providers find node_modules). Preview and up
 * create a stack that does not exist yet; destroy and its preview need an existing stack.
 * The 3.248 SDK has `Stack.previewDestroy()` (`pulumi destroy --preview-only`), used for the
 * preview of an offboarding.
 */
import { LocalWorkspace, PulumiCommand, StackNotFoundError, type OpMap, type Stack } from "@pulumi/pulumi/automation";
import type { Target } from "./plan";
import type { StackCounts, StackRunner, StackRunResult } from "./runner";
import type { Engine } from "./engine";

export function countsOf(ops: OpMap | undefined): StackCounts {
    const n = (k: keyof OpMap) => ops?.[k] ?? 0;
    return {
        create: n("create") + n("import"),
        update: n("update"),
        replace: n("replace") + n("import-replacement"),
        delete: n("delete"),
        same: n("same"),
    };
}

export class AutomationRunner implements StackRunner {
    private constructor(
        private readonly workDir: string,
        private readonly pulumiCommand: PulumiCommand,
        private readonly envVars: Record<string, string>,
    ) {}

    static async create(workDir: string, engine: Engine, envVars: Record<string, string>): Promise<AutomationRunner> {
        // The engine may be built from source with its own version string; the SDK's minimum check stays on.
        const cmd = await PulumiCommand.get({ root: engine.command.endsWith("/bin/pulumi") ? engine.command.slice(0, -"/bin/pulumi".length) : undefined });
        return new AutomationRunner(workDir, cmd, envVars);
    }

    private opts() {
        return { workDir: this.workDir, pulumiCommand: this.pulumiCommand, envVars: this.envVars };
    }

    private createOrSelect(stackName: string): Promise<Stack> {
        return LocalWorkspace.createOrSelectStack({ stackName, workDir: this.workDir }, this.opts());
    }

    /** The stack, or undefined when it was never created (nothing to destroy). */
    private async selectExisting(stackName: string): Promise<Stack | undefined> {
        try {
            return await LocalWorkspace.selectStack({ stackName, workDir: this.workDir }, this.opts());
        } catch (e) {
            if (e instanceof StackNotFoundError || /no stack named/i.test(String((e as Error).message))) return undefined;
            throw e;
        }
    }

    async listStacks(): Promise<string[]> {
        const ws = await LocalWorkspace.create(this.opts());
        return (await ws.listStacks()).map((s) => s.name.split("/").pop()!);
    }

    async run(t: Target): Promise<StackRunResult> {
        const common = { color: "never" as const };
        switch (t.operation) {
            case "preview": {
                const r = await (await this.createOrSelect(t.stack)).preview({ ...common, diff: true });
                return { counts: countsOf(r.changeSummary), output: r.stdout };
            }
            case "up": {
                const r = await (await this.createOrSelect(t.stack)).up({ ...common });
                return { counts: countsOf(r.summary.resourceChanges), output: r.stdout };
            }
            case "preview-destroy": {
                const stack = await this.selectExisting(t.stack);
                if (!stack) return { counts: countsOf({}), note: "no stack: nothing to offboard" };
                const r = await stack.previewDestroy({ ...common });
                return { counts: countsOf(r.changeSummary), output: r.stdout };
            }
            case "destroy": {
                const stack = await this.selectExisting(t.stack);
                if (!stack) return { counts: countsOf({}), note: "no stack: nothing to offboard" };
                const r = await stack.destroy({ ...common });
                return { counts: countsOf(r.summary.resourceChanges), output: r.stdout };
            }
            case "status": {
                const stack = await this.selectExisting(t.stack);
                if (!stack) return { counts: countsOf({}), note: "no stack yet" };
                const [last] = await stack.history(1, 1, false);
                if (!last) return { counts: countsOf({}), note: "stack exists, never updated" };
                const note = `last ${last.kind} ${last.result} at ${new Date(last.endTime ?? last.startTime).toISOString()}`;
                if (last.result === "failed") throw new Error(note);
                return { counts: countsOf(last.resourceChanges), note };
            }
        }
    }
}
