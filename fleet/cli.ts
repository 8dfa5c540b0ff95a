/**
 * `npm run fleet -- <preview|up|destroy|status> [--tenant NAME ...] [--platform NAME ...]
 *   [--changed BASE..HEAD] [--concurrency N] [--no-tunnel] [--json | --markdown]`
 *
 * Exit codes: 0 every stack succeeded; 1 at least one stack failed; 2 usage error, invalid tenant
 * files or a selection that cannot be planned (nothing ran); 3 the engine is unavailable (nothing ran).
 */
import * as path from "node:path";
import { formatProblem, loadTenants, type TenantSpec } from "../components/tenant-spec";
import { detectChanges } from "./changes";
import { git, resolveCommit } from "./git";
import { planAll, planChanged, planNamed, platformStacks, specAt, type Command, type Target } from "./plan";
import { runFleet, type StackRunner, type TunnelOpener } from "./runner";
import { formatDuration, formatJson, formatMarkdown, formatTable, makeReport } from "./summary";

export const USAGE = `usage: npm run fleet -- <preview|up|destroy|status> [options]
  --tenant NAME        only this tenant (repeatable); destroy requires it
  --platform NAME      also this platform stack (repeatable; preview, up, status)
  --changed BASE..HEAD the stacks that commit range changes (preview, up); HEAD must be checked out
  --concurrency N      stacks at once (default 4)
  --no-tunnel          preview without SSH tunnels (a preview plans only: the mysql provider connects
                       to create, read, update or delete); pull-request previews use it
  --json | --markdown  print the summary as JSON or Markdown instead of a table
without --tenant/--platform/--changed: every tenant in tenants/ (status: and every platform)`;

export interface CliIo {
    repo: string;
    stdout: (s: string) => void;
    stderr: (s: string) => void;
    /** The engine: the real Automation API runner in scripts/fleet.ts, a fake in tests. Throws when unavailable. */
    makeRunner: (command: Command) => Promise<StackRunner>;
    openTunnel?: TunnelOpener;
}

interface Args {
    command: Command;
    tenants: string[];
    platforms: string[];
    changed?: string;
    concurrency: number;
    noTunnel: boolean;
    format: "table" | "json" | "markdown";
}

export class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
    const [command, ...rest] = argv;
    if (!["preview", "up", "destroy", "status"].includes(command ?? "")) throw new UsageError(command ? `unknown command "${command}"` : "missing command");
    const args: Args = { command: command as Command, tenants: [], platforms: [], concurrency: 4, noTunnel: false, format: "table" };
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        const value = () => {
            const v = rest[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--tenant") args.tenants.push(value());
        else if (a === "--platform") args.platforms.push(value());
        else if (a === "--changed") args.changed = value();
        else if (a === "--concurrency") {
            const v = value();
            args.concurrency = Number(v);
            if (!/^\d+$/.test(v) || args.concurrency < 1) throw new UsageError(`--concurrency must be a whole number >= 1, got "${v}"`);
        } else if (a === "--no-tunnel") args.noTunnel = true;
        else if (a === "--json") args.format = "json";
        else if (a === "--markdown") args.format = "markdown";
        else throw new UsageError(`unknown option "${a}"`);
    }
    if (args.changed && (args.tenants.length || args.platforms.length)) throw new UsageError("--changed selects the stacks itself: do not combine it with --tenant or --platform");
    if (args.changed && (args.command === "destroy" || args.command === "status")) {
        throw new UsageError(`--changed works with preview and up (up --changed destroys the tenants whose file was deleted)`);
    }
    // Only a preview can do without MySQL: up and destroy change databases through the tunnel.
    if (args.noTunnel && args.command !== "preview") throw new UsageError("--no-tunnel works with preview only: up and destroy reach MySQL through the tunnel");
    if (args.command === "destroy" && args.tenants.length === 0) throw new UsageError("destroy needs --tenant NAME: offboarding is one named tenant at a time");
    if (args.command === "destroy" && args.platforms.length > 0) throw new UsageError("destroy does not take --platform: a platform stack is destroyed with pulumi by hand");
    return args;
}

/** The platform of a tenant whose file is gone: from the last commit that still had the file. */
function platformOfRemoved(repo: string, name: string): string | undefined {
    for (const ext of ["yaml", "yml"]) {
        const file = `tenants/${name}.${ext}`;
        const deletedIn = git(repo, ["log", "-1", "--format=%H", "--diff-filter=D", "--", file]).trim();
        if (deletedIn) return specAt(repo, resolveCommit(repo, `${deletedIn}^`), file).platform;
    }
    return undefined;
}

function plan(args: Args, repo: string, specs: TenantSpec[], warn: (s: string) => void): { targets: Target[]; range?: { text: string; base: string; head: string } } {
    const head = resolveCommit(repo, "HEAD");
    if (args.changed) {
        const changes = detectChanges(repo, args.changed);
        if (changes.range.head !== head) {
            throw new UsageError(`--changed ${args.changed}: its HEAD (${changes.range.head.slice(0, 12)}) is not the checked-out commit (${head.slice(0, 12)}); Pulumi runs the working tree, so check that commit out first`);
        }
        const dirty = git(repo, ["status", "--porcelain", "--", "tenants", "Pulumi.*.yaml"]).trim();
        if (dirty) warn(`fleet: warning: uncommitted changes under tenants/ or in stack config: the stacks run the working tree, the selection comes from ${args.changed}:\n${dirty}\n`);
        return { targets: planChanged(args.command as "preview" | "up", repo, changes, specs), range: changes.range };
    }
    const tenantNames = new Set(specs.map((s) => s.name));
    const platforms = platformStacks(repo, head, tenantNames);
    for (const p of args.platforms) {
        if (!platforms.includes(p)) throw new UsageError(`--platform ${p}: there is no Pulumi.${p}.yaml platform stack config (platforms: ${platforms.join(", ") || "none"})`);
    }
    const platformTargets = args.platforms.map((p): Target => ({ stack: p, role: "platform", platform: p, operation: args.command, reason: "named on the command line" }));
    if (args.tenants.length > 0) return { targets: [...platformTargets, ...planNamed(args.command, args.tenants, specs, (n) => platformOfRemoved(repo, n))] };
    if (args.platforms.length > 0) return { targets: platformTargets };
    const all = planAll(args.command, specs);
    if (args.command === "status") {
        return { targets: [...platforms.map((p): Target => ({ stack: p, role: "platform", platform: p, operation: "status", reason: "every platform" })), ...all] };
    }
    return { targets: all };
}

/**
 * Stacks in the backend that are neither a tenant file nor a platform: a tenant whose file was
 * deleted but whose offboarding did not finish. Status lists them so they are not forgotten.
 */
function orphans(stacks: string[], known: Target[], repo: string): Target[] {
    const names = new Set(known.map((t) => t.stack));
    return stacks
        .filter((s) => !names.has(s))
        .sort()
        .map((stack): Target => {
            let platform = "?";
            try {
                platform = platformOfRemoved(repo, stack) ?? "?";
            } catch {
                // An unreadable old file leaves the platform unknown; status does not need it.
            }
            return { stack, role: "tenant", platform, operation: "status", reason: `no tenants/${stack}.yaml: offboard it with fleet destroy --tenant ${stack}` };
        });
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (e) {
        io.stderr(`fleet: ${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    const startedAt = new Date();
    let targets: Target[];
    let range;
    try {
        const tenantsDir = path.join(io.repo, "tenants");
        const { specs, problems } = loadTenants(path.relative(process.cwd(), tenantsDir) || tenantsDir);
        if (problems.length > 0 && args.command !== "destroy" && args.command !== "status") {
            for (const p of problems) io.stderr(`${formatProblem(p)}\n`);
            io.stderr(`fleet: ${problems.length} problem(s) in the tenant files: nothing ran (npm run validate shows the same)\n`);
            return 2;
        }
        ({ targets, range } = plan(args, io.repo, specs, io.stderr));
    } catch (e) {
        io.stderr(`fleet: ${(e as Error).message}\n`);
        return 2;
    }

    const print = (report: ReturnType<typeof makeReport>) =>
        io.stdout(args.format === "json" ? formatJson(report) : args.format === "markdown" ? formatMarkdown(report) : formatTable(report));
    if (targets.length === 0) {
        print(makeReport(args.command, startedAt, [], range));
        return 0;
    }
    let runner: StackRunner;
    try {
        runner = await io.makeRunner(args.command);
    } catch (e) {
        io.stderr(`fleet: ${(e as Error).message}\n`);
        return 3;
    }
    if (args.command === "status" && args.tenants.length === 0 && args.platforms.length === 0 && runner.listStacks) {
        targets.push(...orphans(await runner.listStacks(), targets, io.repo));
    }
    const outcomes = await runFleet(targets, runner, {
        concurrency: args.concurrency,
        openTunnel: io.openTunnel,
        needsTunnel: args.noTunnel ? () => false : undefined,
        onStart: (t) => io.stderr(`fleet: ${t.stack}: ${t.operation} started (${t.reason})\n`),
        onDone: (o) => io.stderr(`fleet: ${o.stack}: ${o.operation} ${o.result} in ${formatDuration(o.durationMs)}${o.note ? ` (${o.note})` : ""}\n`),
    });
    const report = makeReport(args.command, startedAt, outcomes, range);
    print(report);
    return report.totals.failed > 0 ? 1 : 0;
}
