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

/** The Automation API's handle on `engine`'s CLI. */
export function pulumiCommandOf(engine: Engine): Promise<PulumiCommand> {
    // PulumiCommand.get takes the install root (it appends bin/pulumi) or, without one, uses PATH.
    return PulumiCommand.get({ root: engine.command.endsWith("/bin/pulumi") ? engine.command.slice(0, -"/bin/pulumi".length) : undefined });
}

/** Opens a stack: `create` also creates it when missing (preview, up), `select` fails with StackNotFoundError. */
export type StackOpener = (stackName: string, mode: "create" | "select") => Promise<Stack>;

export class AutomationRunner implements StackRunner {
    /**
     * `open` defaults to the project in `workDir` run by the CLI's Node.js language host, as
     * `pulumi up -s <stack>` by hand does. Tests inject an inline program (no language host) to
     * exercise the same operations on the real engine.
     */
    constructor(
        private readonly workDir: string,
        private readonly pulumiCommand: PulumiCommand,
        private readonly envVars: Record<string, string>,
        private readonly opener?: StackOpener,
    ) {}

    private open(stackName: string, mode: "create" | "select"): Promise<Stack> {
        if (this.opener) return this.opener(stackName, mode);
        const args = { stackName, workDir: this.workDir };
        return mode === "create" ? LocalWorkspace.createOrSelectStack(args, this.opts()) : LocalWorkspace.selectStack(args, this.opts());
    }

    static async create(workDir: string, engine: Engine, envVars: Record<string, string>, open?: StackOpener): Promise<AutomationRunner> {
        return new AutomationRunner(workDir, await pulumiCommandOf(engine), envVars, open);
    }

    /** Workspace options every stack gets: the CLI, the backend, the passphrase. */
    opts() {
        return { workDir: this.workDir, pulumiCommand: this.pulumiCommand, envVars: this.envVars };
    }

    private createOrSelect(stackName: string): Promise<Stack> {
        return this.open(stackName, "create");
    }

    /** The stack, or undefined when it was never created (nothing to destroy). */
    private async selectExisting(stackName: string): Promise<Stack | undefined> {
        try {
            return await this.open(stackName, "select");
        } catch (e) {
            if (e instanceof StackNotFoundError || /no stack named/i.test(String((e as Error).message))) return undefined;
            throw e;
        }
    }

    /** A stack's outputs as plain values (secrets included: for the tunnel, held in memory only); {} when the stack does not exist. */
    async outputsOf(stackName: string): Promise<Record<string, unknown>> {
        const stack = await this.selectExisting(stackName);
        if (!stack) return {};
        return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
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
                // A platform's Joomla step moves the tenants (`mokowaas upgrade --all`): its summary is the note.
                const upgrade: unknown = t.role === "platform" ? r.outputs.joomlaUpgrade?.value : undefined;
                return { counts: countsOf(r.summary.resourceChanges), output: r.stdout, ...(typeof upgrade === "string" && upgrade !== "" ? { note: `Joomla: ${upgrade}` } : {}) };
            }
            case "preview-destroy": {
                const stack = await this.selectExisting(t.stack);
                if (!stack) return { note: "no stack: nothing to offboard" };
                const r = await stack.previewDestroy({ ...common });
                return { counts: countsOf(r.changeSummary), output: r.stdout };
            }
            case "destroy": {
                const stack = await this.selectExisting(t.stack);
                if (!stack) return { note: "no stack: nothing to offboard" };
                const r = await stack.destroy({ ...common });
                return { counts: countsOf(r.summary.resourceChanges), output: r.stdout };
            }
            case "status": {
                const stack = await this.selectExisting(t.stack);
                if (!stack) return { note: "no stack yet" };
                const [last] = await stack.history(1, 1, false);
                if (!last) return { note: "stack exists, never updated" };
                const note = `last ${last.kind} ${last.result} at ${new Date(last.endTime ?? last.startTime).toISOString()}`;
                if (last.result === "failed") throw new Error(note);
                return { counts: countsOf(last.resourceChanges), note };
            }
        }
    }
}
