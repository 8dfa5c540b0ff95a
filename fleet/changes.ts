/**
 * What a range of commits does to the stacks: which tenant files were added, modified, deleted or
 * renamed, and which platform stacks' inputs changed. Both `fleet --changed` and `tenant-diff` read
 * this, so the PR comment and the fleet run can never disagree about which stacks change.
 */
import { git, resolveRange, type Range } from "./git";

export type TenantChangeKind = "added" | "modified" | "deleted";

export interface TenantChange {
    tenant: string;
    kind: TenantChangeKind;
    /** Path of the YAML at HEAD (added, modified) or at BASE (deleted). */
    path: string;
    /** Set on both halves of a rename: git saw the file move, fleet still offboards `from` and creates `to`. */
    renamed?: { from: string; to: string };
}

/** A changed path outside tenants/ that makes stacks re-run, with the stacks it touches. */
export interface SharedChange {
    path: string;
    /** Pulumi.<platform>.yaml: that platform. Program or runtime code: every platform and/or every tenant. */
    affects: { platform?: string; allPlatforms: boolean; allTenants: boolean };
}

export interface ChangeSet {
    range: Range;
    tenants: TenantChange[];
    shared: SharedChange[];
}

/** `tenants/<name>.yaml` directly in the tenants folder (schema.json and subfolders are not tenants). */
const TENANT_FILE = /^tenants\/([^/]+)\.ya?ml$/;
const STACK_CONFIG = /^Pulumi\.([^/]+)\.yaml$/;

/**
 * Paths whose change re-runs stacks although no tenant file changed. The tenant program is
 * index.ts + components/ (+ the locked dependencies; package.json alone changes scripts); the platform program is index.ts + infra/, and it
 * ships runtime/ to the server. A PR touching these must preview every stack they feed, or the
 * comment would claim "no change" over a change to every tenant.
 */
const SHARED_RULES: { test: RegExp; allPlatforms: boolean; allTenants: boolean }[] = [
    { test: /^(index\.ts|Pulumi\.yaml|package-lock\.json|tsconfig\.json)$/, allPlatforms: true, allTenants: true },
    { test: /^components\//, allPlatforms: true, allTenants: true },
    { test: /^(infra|runtime)\//, allPlatforms: true, allTenants: false },
];

interface RawChange {
    status: string;
    path: string;
    from?: string;
}

/** `git diff --name-status -z` between two commits, renames detected. */
function rawChanges(repo: string, range: Range): RawChange[] {
    const fields = git(repo, ["diff", "--name-status", "-z", "-M", "--no-color", range.base, range.head, "--"]).split("\0");
    const out: RawChange[] = [];
    for (let i = 0; i < fields.length && fields[i] !== ""; ) {
        const status = fields[i++];
        if (status.startsWith("R") || status.startsWith("C")) {
            const from = fields[i++];
            const to = fields[i++];
            out.push({ status: status[0], path: to, from });
        } else {
            out.push({ status: status[0], path: fields[i++] });
        }
    }
    return out;
}

/**
 * Classifies the changes of `BASE..HEAD` (or `BASE...HEAD`). A rename of a tenant file is reported
 * as a deletion of the old tenant and an addition of the new one, both marked `renamed`: a tenant's
 * name is its stack, database and folders, so renaming offboards one tenant and creates another.
 */
export function detectChanges(repo: string, rangeText: string): ChangeSet {
    const range = resolveRange(repo, rangeText);
    const tenants: TenantChange[] = [];
    const shared: SharedChange[] = [];
    const tenantOf = (p: string) => TENANT_FILE.exec(p)?.[1];

    const classify = (status: string, p: string) => {
        const tenant = tenantOf(p);
        if (tenant !== undefined) {
            tenants.push({ tenant, kind: status === "A" ? "added" : status === "D" ? "deleted" : "modified", path: p });
            return;
        }
        const config = STACK_CONFIG.exec(p);
        if (config) {
            shared.push({ path: p, affects: { platform: config[1], allPlatforms: false, allTenants: false } });
            return;
        }
        const rule = SHARED_RULES.find((r) => r.test.test(p));
        if (rule) shared.push({ path: p, affects: { allPlatforms: rule.allPlatforms, allTenants: rule.allTenants } });
    };

    for (const c of rawChanges(repo, range)) {
        if (c.from === undefined) {
            classify(c.status, c.path);
        } else if (c.status === "C") {
            classify("A", c.path);
        } else {
            const from = tenantOf(c.from);
            const to = tenantOf(c.path);
            classify("D", c.from);
            classify("A", c.path);
            if (from !== undefined && to !== undefined && from !== to) {
                const renamed = { from, to };
                for (const t of tenants) if ((t.tenant === from && t.kind === "deleted") || (t.tenant === to && t.kind === "added")) t.renamed = renamed;
            } else if (from !== undefined && from === to) {
                // tenants/x.yml -> tenants/x.yaml: the same tenant, its file re-spelled.
                tenants.splice(tenants.length - 2, 2, { tenant: to, kind: "modified", path: c.path });
            }
        }
    }
    tenants.sort((a, b) => a.tenant.localeCompare(b.tenant) || a.kind.localeCompare(b.kind));
    return { range, tenants, shared };
}

