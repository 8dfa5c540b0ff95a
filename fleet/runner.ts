/**
 * Runs stack operations with bounded concurrency. Each stack is isolated: its failure is recorded
 * and the others go on. The engine is behind `StackRunner` (fleet/automation.ts is the real one,
 * tests use a fake), and SSH tunnels are behind `TunnelOpener`, opened once per platform before its
 * first tenant stack runs and held until every stack is done (deletes need MySQL too).
 */
import type { StackOperation, Target } from "./plan";

export interface StackCounts {
    create: number;
    update: number;
    replace: number;
    delete: number;
    same: number;
}

export interface StackRunResult {
    /** Absent when nothing ran (e.g. no stack to offboard). */
    counts?: StackCounts;
    /** The engine's text output (a preview's plan), for the PR comment's details. */
    output?: string;
    /** One line worth showing beside the result, e.g. "no stack: nothing to offboard". */
    note?: string;
}

export interface StackRunner {
    run(target: Target): Promise<StackRunResult>;
    /** Every stack of the project in the backend (status uses it to find stacks without a tenant file). */
    listStacks?(): Promise<string[]>;
}

export interface Tunnel {
    close(): Promise<void>;
}
/** Opens the SSH tunnel that reaches a platform's loopback-only MySQL. */
export type TunnelOpener = (platform: string) => Promise<Tunnel>;

export type Result = "succeeded" | "failed" | "skipped";

export interface Outcome {
    stack: string;
    role: Target["role"];
    platform: string;
    operation: StackOperation;
    reason: string;
    result: Result;
    counts?: StackCounts;
    durationMs: number;
    error?: string;
    note?: string;
    output?: string;
}

export interface RunOptions {
    /** At most this many stacks at once (>= 1). */
    concurrency: number;
    openTunnel?: TunnelOpener;
    /** Which targets need their platform's tunnel (default: tenant stacks not on `local`). */
    needsTunnel?: (t: Target) => boolean;
    /** Progress: called when a stack starts and when it ends. */
    onStart?: (t: Target) => void;
    onDone?: (o: Outcome) => void;
}

/** Tenant stacks talk to MySQL in every operation but status (which reads the backend only); `local` needs no tunnel. */
export const needsTunnelByDefault = (t: Target): boolean => t.role === "tenant" && t.platform !== "local" && t.operation !== "status";

const MUTATING: ReadonlySet<StackOperation> = new Set(["up", "destroy"]);

/**
 * Phases, in order: platform stacks (tenants read their outputs), tenant offboardings (a renamed
 * tenant's hosts must be free before the new tenant claims them), the remaining tenant stacks.
 */
function phaseOf(t: Target): number {
    if (t.role === "platform") return 0;
    return t.operation === "destroy" || t.operation === "preview-destroy" ? 1 : 2;
}

/** Keeps the last `max` characters of an error: the engine's final lines say what went wrong. */
function errorText(e: unknown, max = 4000): string {
    const text = (e instanceof Error ? e.message : String(e)).trim();
    return text.length > max ? `...${text.slice(-max)}` : text;
}

/** Runs `work` over `items`, at most `concurrency` at once. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await work(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Runs every target and returns one outcome per target, in the targets' order. Never throws for a stack's failure. */
export async function runFleet(targets: Target[], runner: StackRunner, opts: RunOptions): Promise<Outcome[]> {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a whole number >= 1, got ${opts.concurrency}`);
    const needsTunnel = opts.needsTunnel ?? needsTunnelByDefault;
    const tunnels = new Map<string, Promise<Tunnel>>();
    const tunnelFor = (platform: string): Promise<Tunnel> => {
        let t = tunnels.get(platform);
        if (!t) {
            if (!opts.openTunnel) throw new Error(`platform ${platform} needs an SSH tunnel to its MySQL and no tunnel opener is configured`);
            t = opts.openTunnel(platform);
            tunnels.set(platform, t);
        }
        return t;
    };
    const outcomes = new Map<Target, Outcome>();
    const failedPlatforms = new Set<string>();

    const runOne = async (t: Target) => {
        const started = performance.now();
        const base = { stack: t.stack, role: t.role, platform: t.platform, operation: t.operation, reason: t.reason };
        let outcome: Outcome;
        if (t.role === "tenant" && MUTATING.has(t.operation) && failedPlatforms.has(t.platform)) {
            outcome = { ...base, result: "skipped", durationMs: 0, note: `platform ${t.platform} failed in this run: not run against it` };
        } else {
            opts.onStart?.(t);
            try {
                if (needsTunnel(t)) {
                    try {
                        await tunnelFor(t.platform);
                    } catch (e) {
                        throw new Error(`SSH tunnel to platform ${t.platform}: ${errorText(e)}`, { cause: e });
                    }
                }
                const r = await runner.run(t);
                outcome = { ...base, result: "succeeded", counts: r.counts, durationMs: performance.now() - started, note: r.note, output: r.output };
            } catch (e) {
                outcome = { ...base, result: "failed", durationMs: performance.now() - started, error: errorText(e) };
                if (t.role === "platform") failedPlatforms.add(t.platform);
            }
        }
        outcomes.set(t, outcome);
        opts.onDone?.(outcome);
    };

    try {
        for (const phase of [0, 1, 2]) {
            await pool(targets.filter((t) => phaseOf(t) === phase), opts.concurrency, runOne);
        }
    } finally {
        // Close every tunnel that opened; one that failed to open has nothing to close.
        await Promise.all(
            [...tunnels.entries()].map(async ([platform, pending]) => {
                const opened = await pending.then((t) => t, () => undefined);
                try {
                    await opened?.close();
                } catch (e) {
                    console.error(`fleet: closing the SSH tunnel to ${platform}: ${errorText(e, 500)}`);
                }
            }),
        );
    }
    return targets.map((t) => outcomes.get(t)!);
}
