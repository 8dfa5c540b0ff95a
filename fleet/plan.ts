/**
 * Turns a fleet command and a selection (every tenant, named tenants, or a git range) into the
 * list of stack operations to run, each with the reason it is in the run.
 */
import { parseTenant, type TenantSpec } from "../components/tenant-spec";
import type { ChangeSet } from "./changes";
import { git, showFile } from "./git";

export type Command = "preview" | "up" | "destroy" | "status";
export type StackOperation = "preview" | "up" | "destroy" | "preview-destroy" | "status";

export interface Target {
    stack: string;
    role: "tenant" | "platform";
    /** The platform stack this stack runs on (a platform's own name for a platform stack). */
    platform: string;
    operation: StackOperation;
    /** Why this stack is in the run, e.g. "tenants/acme.yaml modified". */
    reason: string;
}

export class PlanError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PlanError";
    }
}

/** What a command does to a stack that should exist (`keep`) or whose tenant file is gone (`remove`). */
function operationFor(command: Command, want: "keep" | "remove"): StackOperation {
    switch (command) {
        case "preview":
            return want === "keep" ? "preview" : "preview-destroy";
        case "up":
            return want === "keep" ? "up" : "destroy";
        case "destroy":
            return "destroy";
        case "status":
            return "status";
    }
}

const tenantTarget = (command: Command, spec: Pick<TenantSpec, "name" | "platform">, want: "keep" | "remove", reason: string): Target => ({
    stack: spec.name,
    role: "tenant",
    platform: spec.platform,
    operation: operationFor(command, want),
    reason,
});

/** Every tenant in tenants/ (specs already validated). */
export function planAll(command: Command, specs: TenantSpec[]): Target[] {
    return specs.map((s) => tenantTarget(command, s, "keep", "every tenant"));
}

/**
 * Named tenants. preview/up need the tenant file; destroy and status also accept a tenant whose
 * file is gone (its stack still exists), on the platform given by `platformOfRemoved`.
 */
export function planNamed(command: Command, names: string[], specs: TenantSpec[], platformOfRemoved?: (name: string) => string | undefined): Target[] {
    const byName = new Map(specs.map((s) => [s.name, s]));
    return [...new Set(names)].map((name) => {
        const spec = byName.get(name);
        if (spec) return tenantTarget(command, spec, "keep", "named on the command line");
        const platform = command === "destroy" || command === "status" ? platformOfRemoved?.(name) : undefined;
        if (platform === undefined) {
            throw new PlanError(`--tenant ${name}: there is no tenants/${name}.yaml${command === "destroy" || command === "status" ? " and no earlier version of it in git history to tell its platform" : ""}`);
        }
        return tenantTarget(command, { name, platform }, "remove", "named on the command line (tenant file removed)");
    });
}

/** Platform stacks of a commit: every `Pulumi.<stack>.yaml` at the root whose stack is not a tenant. */
export function platformStacks(repo: string, commit: string, tenantNames: ReadonlySet<string>): string[] {
    return git(repo, ["ls-tree", "--name-only", commit])
        .split("\n")
        .map((f) => /^Pulumi\.([^/]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined && !tenantNames.has(s))
        .sort();
}

/** The spec of a tenant file as it was at a commit (for deleted tenants: their platform). */
export function specAt(repo: string, commit: string, file: string): TenantSpec {
    const text = showFile(repo, commit, file);
    if (text === undefined) throw new PlanError(`${file} does not exist at ${commit.slice(0, 12)}`);
    const { spec, problems } = parseTenant(file, text);
    if (!spec) throw new PlanError(`${file} at ${commit.slice(0, 12)} is not a valid tenant file (${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}): cannot tell its platform`);
    return spec;
}

/**
 * The stacks a range changes. `specs` are the validated tenants of the working tree, which must be
 * HEAD (Pulumi runs the working tree). Platform stacks come first in the list; the runner orders
 * phases anyway.
 */
export function planChanged(command: Exclude<Command, "destroy" | "status">, repo: string, changes: ChangeSet, specs: TenantSpec[]): Target[] {
    const { base, head } = changes.range;
    const byName = new Map(specs.map((s) => [s.name, s]));
    const tenantTargets = new Map<string, Target>();
    const platformTargets = new Map<string, Target>();
    const addPlatform = (platform: string, reason: string) => {
        if (!platformTargets.has(platform)) platformTargets.set(platform, { stack: platform, role: "platform", platform, operation: operationFor(command, "keep"), reason });
    };

    for (const c of changes.tenants) {
        const renameNote = c.renamed ? ` (renamed ${c.renamed.from} -> ${c.renamed.to})` : "";
        if (c.kind === "deleted") {
            tenantTargets.set(c.tenant, tenantTarget(command, specAt(repo, base, c.path), "remove", `${c.path} deleted${renameNote}`));
        } else {
            const spec = byName.get(c.tenant);
            if (!spec) throw new PlanError(`${c.path} is ${c.kind} at HEAD but is not among the validated tenant files of the working tree: is HEAD checked out?`);
            tenantTargets.set(c.tenant, tenantTarget(command, spec, "keep", `${c.path} ${c.kind}${renameNote}`));
        }
    }

    const headPlatforms = platformStacks(repo, head, new Set([...byName.keys(), ...changes.tenants.map((t) => t.tenant)]));
    for (const s of changes.shared) {
        const p = s.affects.platform;
        if (p !== undefined) {
            const spec = byName.get(p);
            if (spec) {
                if (!tenantTargets.has(p)) tenantTargets.set(p, tenantTarget(command, spec, "keep", `${s.path} changed`));
            } else if (headPlatforms.includes(p)) {
                addPlatform(p, `${s.path} changed`);
            }
            // A deleted Pulumi.<platform>.yaml: retiring a platform is not a fleet operation.
        }
        if (s.affects.allPlatforms) for (const hp of headPlatforms) addPlatform(hp, `${s.path} changed`);
        if (s.affects.allTenants) {
            for (const spec of specs) if (!tenantTargets.has(spec.name)) tenantTargets.set(spec.name, tenantTarget(command, spec, "keep", `${s.path} changed`));
        }
    }
    const byStack = (a: Target, b: Target) => a.stack.localeCompare(b.stack);
    return [...[...platformTargets.values()].sort(byStack), ...[...tenantTargets.values()].sort(byStack)];
}
