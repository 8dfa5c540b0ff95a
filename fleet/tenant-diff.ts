/**
 * What a range of commits does to tenants, read from the tenant YAML files themselves at BASE and
 * HEAD (no engine, no state): added tenants, removed ones (offboarding), renames (an offboarding
 * plus a new tenant), and per changed tenant each field's old and new value with defaults
 * resolved, so `online` going from absent to `false` is no change and from `false` to `true` is.
 */
import { parseTenant, tenantNameOf, type Problem, type TenantSpec } from "../components/tenant-spec";
import { detectChanges, type ChangeSet, type SharedChange, type TenantChange } from "./changes";
import { listFiles, showFile } from "./git";

export interface FieldChange {
    field: string;
    before?: unknown;
    after?: unknown;
    /** For lists (aliases): the items that appeared and disappeared. */
    added?: unknown[];
    removed?: unknown[];
}

export type TenantEntry =
    | { kind: "added"; change: TenantChange; spec: TenantSpec }
    | { kind: "removed"; change: TenantChange; spec?: TenantSpec }
    | { kind: "changed"; change: TenantChange; fields: FieldChange[] }
    | { kind: "invalid"; change: TenantChange; problems: Problem[] };

export interface TenantDiff {
    changes: ChangeSet;
    entries: TenantEntry[];
    /** Tenants at BASE or HEAD: a changed Pulumi.<name>.yaml of one of them is tenant config, not a platform's. */
    tenantNames: string[];
}

/** Fields derived from others (name from the file, database from the name) are not compared. */
const IGNORED = new Set(["file", "name", "database"]);

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) {
            if (!prefix && IGNORED.has(k)) continue;
            flatten(v, prefix ? `${prefix}.${k}` : k, out);
        }
    } else {
        out.set(prefix, value);
    }
}

/** Field-by-field difference of two resolved specs, in the order fields appear in the schema. */
export function diffSpecs(before: TenantSpec, after: TenantSpec): FieldChange[] {
    const a = new Map<string, unknown>();
    const b = new Map<string, unknown>();
    flatten(before, "", a);
    flatten(after, "", b);
    const fields = [...new Set([...b.keys(), ...a.keys()])];
    const changes: FieldChange[] = [];
    for (const field of fields) {
        const x = a.get(field);
        const y = b.get(field);
        if (JSON.stringify(x) === JSON.stringify(y)) continue;
        if (Array.isArray(x) || Array.isArray(y)) {
            const xs = (x as unknown[] | undefined) ?? [];
            const ys = (y as unknown[] | undefined) ?? [];
            const key = (v: unknown) => JSON.stringify(v);
            const added = ys.filter((v) => !xs.some((w) => key(w) === key(v)));
            const removed = xs.filter((v) => !ys.some((w) => key(w) === key(v)));
            changes.push({ field, before: x, after: y, added, removed });
        } else {
            changes.push({ field, before: x, after: y });
        }
    }
    return changes;
}

function parseAt(repo: string, commit: string, file: string): { spec?: TenantSpec; problems: Problem[] } {
    const text = showFile(repo, commit, file);
    if (text === undefined) return { problems: [{ file, path: "", message: `missing at ${commit.slice(0, 12)}` }] };
    return parseTenant(file, text);
}

/** Reads both sides of every changed tenant file. Never throws for a bad YAML: it becomes an `invalid` entry. */
export function tenantDiff(repo: string, rangeText: string): TenantDiff {
    const changes = detectChanges(repo, rangeText);
    const { base, head } = changes.range;
    const entries: TenantEntry[] = changes.tenants.map((change): TenantEntry => {
        if (change.kind === "deleted") {
            // The old file may have been invalid; the offboarding is reported all the same.
            return { kind: "removed", change, spec: parseAt(repo, base, change.path).spec };
        }
        const now = parseAt(repo, head, change.path);
        if (!now.spec) return { kind: "invalid", change, problems: now.problems };
        if (change.kind === "added") return { kind: "added", change, spec: now.spec };
        const before = parseAt(repo, base, change.path);
        // A file that was invalid before and is valid now: show it whole, as for a new tenant.
        if (!before.spec) return { kind: "added", change, spec: now.spec };
        return { kind: "changed", change, fields: diffSpecs(before.spec, now.spec) };
    });
    const tenantNames = [...new Set([...listFiles(repo, base, "tenants"), ...listFiles(repo, head, "tenants")])]
        .filter((f) => /^tenants\/[^/]+\.ya?ml$/.test(f))
        .map(tenantNameOf);
    return { changes, entries, tenantNames };
}

/** Inline code that survives backticks inside the value. */
function code(v: unknown): string {
    const s = v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);
    const ticks = s.includes("`") ? "``" : "`";
    return `${ticks}${ticks.length > 1 ? " " : ""}${s}${ticks.length > 1 ? " " : ""}${ticks}`;
}

function describeTenant(s: TenantSpec): string[] {
    return [
        `display name ${code(s.displayName)}, platform ${code(s.platform)}`,
        `production ${code(s.domains.production)} (${s.online ? "**online**" : "offline: coming-soon page"}), dev ${code(s.domains.dev)}` +
            (s.domains.aliases.length ? `, aliases ${s.domains.aliases.map(code).join(", ")}` : ""),
        `DNS ${code(s.dns.provider)}, admin ${code(s.admin.username)} (${code(s.admin.email)})`,
    ];
}

function describeField(f: FieldChange): string {
    if (f.added || f.removed) {
        const parts = [...(f.added ?? []).map((v) => `added ${code(v)}`), ...(f.removed ?? []).map((v) => `removed ${code(v)}`)];
        return `${code(f.field)}: ${parts.join(", ")}`;
    }
    const line = `${code(f.field)}: ${code(f.before)} -> ${code(f.after)}`;
    if (f.field === "platform") {
        return `**${line}: moving a tenant to another platform is not an in-place change: back up, restore on the new platform, switch DNS (DESIGN.md)**`;
    }
    if (f.field === "domains.production") return `**${line}: the production host changes (new certificate, DNS records and URLs)**`;
    return line;
}

/** What a shared change re-runs, in words. */
function sharedEffect(s: SharedChange, tenantNames: ReadonlySet<string>): string {
    const p = s.affects.platform;
    if (p) return tenantNames.has(p) ? `tenant ${code(p)} (its stack config)` : `platform stack ${code(p)}`;
    return [s.affects.allPlatforms ? "every platform stack" : "", s.affects.allTenants ? "every tenant stack" : ""].filter(Boolean).join(" and ");
}

/** One line per effect, naming the paths behind it (at most 8, then a count). */
function describeShared(shared: SharedChange[], tenantNames: ReadonlySet<string>): string[] {
    const byEffect = new Map<string, string[]>();
    for (const s of shared) {
        const effect = sharedEffect(s, tenantNames);
        byEffect.set(effect, [...(byEffect.get(effect) ?? []), s.path]);
    }
    return [...byEffect].map(([effect, paths]) => {
        const shown = paths.slice(0, 8).map(code).join(", ");
        return `- re-runs ${effect}: ${shown}${paths.length > 8 ? ` and ${paths.length - 8} more` : ""} changed`;
    });
}

/** The Markdown summary. `title` heads it (the PR comment adds its own). */
export function renderTenantDiff(d: TenantDiff, title = "Tenant changes"): string {
    const { range } = d.changes;
    const out: string[] = [`### ${title} (\`${range.base.slice(0, 7)}..${range.head.slice(0, 7)}\`)`, ""];
    const of = <K extends TenantEntry["kind"]>(k: K) => d.entries.filter((e): e is Extract<TenantEntry, { kind: K }> => e.kind === k);
    if (d.entries.length === 0) out.push("No tenant file changes.", "");

    const renames = new Map<string, { from: string; to: string }>();
    for (const e of d.entries) if (e.change.renamed) renames.set(`${e.change.renamed.from}->${e.change.renamed.to}`, e.change.renamed);
    for (const r of renames.values()) {
        out.push(`- **Renaming \`${r.from}\` to \`${r.to}\` is an offboarding of \`${r.from}\` plus a new tenant \`${r.to}\`**: the new tenant gets a new database, passwords and folders; content is not carried over.`);
    }
    if (renames.size > 0) out.push("");

    const invalid = of("invalid");
    if (invalid.length > 0) {
        out.push("#### Invalid tenant files", "");
        for (const e of invalid) {
            out.push(`- **\`${e.change.tenant}\`** (\`${e.change.path}\`) does not validate and would declare nothing:`);
            for (const p of e.problems) out.push(`  - ${code(p.path || "(file)")}: ${p.message}`);
        }
        out.push("");
    }
    const removed = of("removed");
    if (removed.length > 0) {
        out.push("#### Removed", "");
        for (const e of removed) {
            const platform = e.spec ? ` from platform \`${e.spec.platform}\`` : "";
            out.push(
                `- **OFFBOARDING \`${e.change.tenant}\`**${platform} (\`${e.change.path}\` deleted${e.change.renamed ? `, renamed to \`${e.change.renamed.to}\`` : ""}): ` +
                    `its hosts stop serving, a final backup is archived, then its folders, database, user and DNS records are deleted.`,
            );
            if (e.spec) out.push(`  - hosts ${[e.spec.domains.production, e.spec.domains.dev, ...e.spec.domains.aliases].map(code).join(", ")}`);
        }
        out.push("");
    }
    const added = of("added");
    if (added.length > 0) {
        out.push("#### Added", "");
        for (const e of added) {
            out.push(`- \`${e.change.tenant}\` (\`${e.change.path}\`)${e.change.renamed ? ` — renamed from \`${e.change.renamed.from}\`` : ""}`);
            for (const l of describeTenant(e.spec)) out.push(`  - ${l}`);
        }
        out.push("");
    }
    const changed = of("changed");
    if (changed.length > 0) {
        out.push("#### Changed", "");
        for (const e of changed) {
            out.push(`- \`${e.change.tenant}\` (\`${e.change.path}\`)`);
            if (e.fields.length === 0) out.push("  - no field changes (comments or formatting only)");
            for (const f of e.fields) out.push(`  - ${describeField(f)}`);
        }
        out.push("");
    }
    if (d.changes.shared.length > 0) {
        out.push("#### Other changes that re-run stacks", "");
        out.push(...describeShared(d.changes.shared, new Set(d.tenantNames)));
        out.push("");
    }
    return out.join("\n");
}
