/**
 * The tenant spec: the shape of `tenants/<name>.yaml`, its defaults, and every rule a tenant file
 * must satisfy alone or together with the others. This is the only definition of the schema: the
 * validator CLI, the Pulumi program, the fleet tools and `tenants/schema.json` all derive from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { hostProblem } from "./hosts";
// Tenant names: the rule lives in runtime/rules.json, which the server applies too.
import { TENANT_NAME, TENANT_NAME_MEANS } from "./rules";

/** Names a tenant may not take: platform stacks, MySQL's own schemas, words with a meaning here. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
    "prod", "local", "platform", "admin", "www", "dev", "staging", "test", "default", "root",
    "mysql", "sys", "mokowaas", "blueprint", "api", "cli", "all",
]);

const host = z.string().superRefine((value, ctx) => {
    const problem = hostProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const retention = z.number().int().min(0).max(1000);

/**
 * A tenant's resource limits: the rules live in runtime/tenant-limits.json, which the data plane
 * reads too (TenantPool), so the YAML, its JSON Schema and the server agree on names and ranges.
 */
type LimitRule = { default: number; min: number; max: number; means: string };
export const LIMIT_RULES: Readonly<Record<string, LimitRule>> = (() => {
    const file = path.join(__dirname, "..", "runtime", "tenant-limits.json");
    const { $comment: _, ...rules } = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, LimitRule>;
    return rules;
})();
export type TenantLimits = Record<keyof typeof LIMIT_RULES, number>;
const limitDefaults = Object.fromEntries(Object.entries(LIMIT_RULES).map(([k, r]) => [k, r.default]));
const Limits = z
    .strictObject(Object.fromEntries(Object.entries(LIMIT_RULES).map(([k, r]) =>
        [k, z.number().int().min(r.min).max(r.max).default(r.default).describe(`${r.means} (default ${r.default}, ${r.min}-${r.max})`)])))
    .default(limitDefaults)
    .describe("Resources of this tenant's PHP pool and systemd slice (defaults fit a small business site).");

/** The YAML file's shape. Strict everywhere: an unknown key is a typo until proven otherwise. */
export const TenantFile = z.strictObject({
    name: z.string().optional().describe("Tenant name; if given it must equal the file name (without .yaml)."),
    displayName: z.string().min(1).max(100).describe("Human name of the client site, used as the Joomla site name."),
    platform: z
        .string()
        .regex(/^[a-z][a-z0-9-]*$/, "must be a platform stack name such as prod")
        .default("prod")
        .describe("Platform stack that hosts this tenant (default prod)."),
    domains: z
        .strictObject({
            production: host.describe("Production host, e.g. example.com. Serves only when online is true."),
            dev: host.optional().describe("Build-out host, always served with noindex (default dev.<production>)."),
            aliases: z.array(host).default([]).describe("Extra hosts that redirect (301) to production, e.g. www.example.com."),
        })
        .describe("Host names of the tenant: lowercase, no trailing dot, IDN as punycode."),
    dns: z
        .strictObject({
            provider: z
                .enum(["dreamhost", "external"])
                .describe("dreamhost: records managed through the DreamHost API; external: the stack outputs the records to create."),
        })
        .default({ provider: "external" })
        .describe("Where the tenant's DNS records are managed (default external)."),
    online: z.boolean().default(false).describe("Serve the production host (false: 503 coming-soon page; dev always serves)."),
    admin: z
        .strictObject({
            username: z
                .string()
                .regex(/^[A-Za-z0-9._-]{2,100}$/, "must be 2 to 100 letters, digits, dots, hyphens or underscores"),
            email: z.email("must be an e-mail address"),
        })
        .describe("The tenant's Joomla super user (the password is generated and output as a secret)."),
    comingSoon: z
        .strictObject({
            title: z.string().min(1).max(200).optional(),
            message: z.string().min(1).max(2000).optional(),
        })
        .default({})
        .describe("Text of the production host's coming-soon page while offline."),
    backup: z
        .strictObject({
            keep: z
                .strictObject({
                    daily: retention.default(7),
                    weekly: retention.default(4),
                    monthly: retention.default(6),
                })
                .default({ daily: 7, weekly: 4, monthly: 6 }),
        })
        .default({ keep: { daily: 7, weekly: 4, monthly: 6 } })
        .describe("Borg retention of this tenant's archives."),
    limits: Limits,
    extensions: z
        .array(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be an extension name the platform offers (a lowercase letter, then a-z, 0-9, _ and -)"))
        .default([])
        .refine((names) => new Set(names).size === names.length, "names an extension more than once")
        .describe("Extensions of the platform (its stack's mokowaas:extensions) installed in this tenant's database; removing one uninstalls it here (docs/extensions.md)."),
    joomlaRelease: z
        .string()
        .regex(/^\d+\.\d+\.\d+(-[A-Za-z0-9.]+)?$/, "must be a Joomla version such as 6.0.4")
        .optional()
        .describe("Hold this tenant on that Joomla release: the platform's fleet upgrade passes it by (unset: it follows the platform's joomla.version)."),
});
export type TenantFileInput = z.input<typeof TenantFile>;

/** A validated tenant with every default resolved. */
export interface TenantSpec {
    name: string;
    /** File it came from (for messages). */
    file: string;
    displayName: string;
    platform: string;
    domains: { production: string; dev: string; aliases: string[] };
    dns: { provider: "dreamhost" | "external" };
    online: boolean;
    admin: { username: string; email: string };
    comingSoon: { title: string; message: string };
    backup: { keep: { daily: number; weekly: number; monthly: number } };
    limits: TenantLimits;
    /** Platform extensions this tenant uses (docs/extensions.md). */
    extensions: string[];
    /** The Joomla version the tenant is held on (the fleet upgrade passes it by), or undefined: it follows the platform. */
    joomlaRelease?: string;
    /** MySQL database and user name (hyphens become underscores; names hold no underscore, so this is one-to-one). */
    database: string;
}

/** One problem found in one file: printed as `<file>: <path>: <message>`. */
export interface Problem {
    file: string;
    path: string;
    message: string;
}

export function formatProblem(p: Problem): string {
    return `${p.file}: ${p.path || "(file)"}: ${p.message}`;
}

/** Every host a tenant answers for, production first. */
export function hostsOf(spec: Pick<TenantSpec, "domains">): string[] {
    return [spec.domains.production, spec.domains.dev, ...spec.domains.aliases];
}

export function databaseName(tenant: string): string {
    return tenant.replace(/-/g, "_");
}

/** The tenant name a file path stands for: `tenants/acme.yaml` -> `acme`. */
export function tenantNameOf(file: string): string {
    return path.basename(file).replace(/\.ya?ml$/, "");
}

/** Validates one tenant file's text. `file` is used in messages and gives the tenant its name. */
export function parseTenant(file: string, text: string): { spec?: TenantSpec; problems: Problem[] } {
    const problems: Problem[] = [];
    const add = (p: string, message: string) => problems.push({ file, path: p, message });
    const name = tenantNameOf(file);
    if (!TENANT_NAME.test(name)) {
        add("name", `file name "${name}" is not a valid tenant name: use ${TENANT_NAME_MEANS}`);
    } else if (RESERVED_NAMES.has(name)) {
        add("name", `"${name}" is a reserved name: choose another file name`);
    }

    const lines = new LineCounter();
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
    if (doc.errors.length > 0) {
        for (const e of doc.errors) {
            const pos = lines.linePos(e.pos[0]);
            const at = ` at line ${pos.line}, column ${pos.col}`;
            add("", `YAML syntax error${at}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
        }
        return { problems };
    }
    const data: unknown = doc.toJS() ?? {};
    const parsed = TenantFile.safeParse(data);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) describeIssue(issue, data, add);
        return { problems };
    }
    const f = parsed.data;
    if (f.name !== undefined && f.name !== name) add("name", `"${f.name}" does not match the file name "${name}": tenant name is the file name`);

    const spec: TenantSpec = {
        name,
        file,
        displayName: f.displayName,
        platform: f.platform,
        domains: {
            production: f.domains.production,
            dev: f.domains.dev ?? `dev.${f.domains.production}`,
            aliases: f.domains.aliases,
        },
        dns: f.dns,
        online: f.online,
        admin: f.admin,
        comingSoon: {
            title: f.comingSoon.title ?? `${f.displayName}: coming soon`,
            message: f.comingSoon.message ?? "This site is being built. Please come back soon.",
        },
        backup: f.backup,
        limits: f.limits,
        extensions: f.extensions,
        ...(f.joomlaRelease !== undefined ? { joomlaRelease: f.joomlaRelease } : {}),
        database: databaseName(name),
    };
    if (f.domains.dev === undefined) {
        const problem = hostProblem(spec.domains.dev);
        if (problem) add("domains.dev", `default dev.<production> is not valid (${problem}): set domains.dev`);
    }
    // Within one file, each host once.
    const seen = new Map<string, string>();
    const fields: [string, string][] = [
        ["domains.production", spec.domains.production],
        ["domains.dev", spec.domains.dev],
        ...spec.domains.aliases.map((a, i): [string, string] => [`domains.aliases.${i}`, a]),
    ];
    for (const [field, h] of fields) {
        const first = seen.get(h);
        if (first) add(field, `"${h}" is already used by ${first} in this file`);
        else seen.set(h, field);
    }
    return problems.length > 0 ? { problems } : { spec, problems };
}

/**
 * Turns one zod issue into problems a person can act on. An object left empty (`domains:` with no
 * value) or left out is reported as the fields it lacks, `domains.production: is required`, since
 * "must be an object" does not say what to write.
 */
function describeIssue(issue: z.core.$ZodIssue, data: unknown, add: (path: string, message: string) => void): void {
    const where = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) add(where ? `${where}.${key}` : key, "unknown key (check its spelling against tenants/schema.json)");
        return;
    }
    if (issue.code !== "invalid_type") return add(where, issue.message);

    const value = valueAt(data, issue.path);
    const wanted = issue.expected === "boolean" ? "true or false" : withArticle(issue.expected);
    if (value !== undefined && value !== null) return add(where, `must be ${wanted}, not ${withArticle(kindOf(value))}`);

    if (issue.expected === "object") {
        // What parsing an empty object at this place misses is exactly what must be written there.
        const missing = schemaAt(TenantFile, issue.path)?.safeParse({});
        if (missing && !missing.success) {
            for (const inner of missing.error.issues) describeIssue({ ...inner, path: [...issue.path, ...inner.path] }, data, add);
            return;
        }
    }
    if (value === undefined) return add(where, `is required (${issue.expected})`);
    add(where, issue.expected === "object" ? "has no value: give its fields, or remove the key to use the defaults" : `has no value: write ${wanted}`);
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
    let v = data;
    for (const key of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
    return v;
}

/** The schema that validates the value at `path` inside `schema`, without its default or optional wrapper. */
function schemaAt(schema: z.ZodType, path: PropertyKey[]): z.ZodType | undefined {
    const bare = (s: z.ZodType): z.ZodType =>
        s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable ? bare(s.unwrap() as z.ZodType) : s;
    let s: z.ZodType | undefined = bare(schema);
    for (const key of path) {
        if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
        else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
        else return undefined;
        if (!s) return undefined;
        s = bare(s);
    }
    return s;
}

function kindOf(value: unknown): string {
    return Array.isArray(value) ? "array" : typeof value;
}

/** "an object", "an array", "a string". */
function withArticle(noun: string): string {
    return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`;
}

/** Rules across files: one host belongs to one tenant only. */
export function crossFileProblems(specs: TenantSpec[]): Problem[] {
    const problems: Problem[] = [];
    const owner = new Map<string, TenantSpec>();
    for (const spec of [...specs].sort((a, b) => a.name.localeCompare(b.name))) {
        for (const h of new Set(hostsOf(spec))) {
            const other = owner.get(h);
            if (other) {
                problems.push({
                    file: spec.file,
                    path: "domains",
                    message: `host "${h}" already belongs to tenant "${other.name}" (${other.file}): a host may belong to one tenant only`,
                });
            } else {
                owner.set(h, spec);
            }
        }
    }
    return problems;
}

/** The tenant files in a folder, sorted (`*.yaml` and `*.yml`). */
export function tenantFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(dir, f));
}

/**
 * Validates every tenant file in `dir`, collecting every problem. Specs are returned only when
 * there is no problem at all, so a caller cannot declare from a partly valid set.
 */
export function loadTenants(dir: string): { specs: TenantSpec[]; problems: Problem[]; files: string[] } {
    const files = tenantFiles(dir);
    const specs: TenantSpec[] = [];
    const problems: Problem[] = [];
    const byName = new Map<string, string>();
    for (const file of files) {
        const name = tenantNameOf(file);
        const dup = byName.get(name);
        if (dup) problems.push({ file, path: "name", message: `tenant "${name}" is also defined by ${dup}` });
        byName.set(name, file);
        const r = parseTenant(file, fs.readFileSync(file, "utf8"));
        problems.push(...r.problems);
        if (r.spec) specs.push(r.spec);
    }
    problems.push(...crossFileProblems(specs));
    return problems.length > 0 ? { specs: [], problems, files } : { specs, problems, files };
}

/** Thrown by the program when tenant files are invalid: the message lists every problem. */
export class TenantValidationError extends Error {
    constructor(readonly problems: Problem[]) {
        super(`invalid tenant files:\n${problems.map(formatProblem).join("\n")}`);
        this.name = "TenantValidationError";
    }
}

/** The JSON Schema that tenant YAML files reference for editor completion. */
export function tenantJsonSchema(): object {
    const schema = z.toJSONSchema(TenantFile, { io: "input", target: "draft-7" }) as Record<string, unknown>;
    return {
        $schema: "http://json-schema.org/draft-07/schema#",
        $id: "https://mokowaas.invalid/tenants/schema.json",
        title: "MokoWaaS tenant",
        description: "One client site. Generated from components/tenant-spec.ts by `npm run schema`; do not edit.",
        ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
    };
}
