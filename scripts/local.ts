/**
 * `npm run local [-- up|down|status]` (scripts/local.sh installs what is missing first): this
 * machine as a MokoWaaS server with two demo tenants (devenv/tenants/). docs/local.md has the
 * details.
 *
 * up: starts MySQL, PHP-FPM and Caddy as daemons (state in .cache/local/), then provisions the
 * platform `local` and the demo tenants — with `pulumi up` when the whole Pulumi engine is here,
 * otherwise (and it says so loudly) WITHOUT Pulumi, by running the same server steps and CLI verbs
 * in the order the platform and tenant stacks would. Prints URLs, curl lines and admin logins.
 * Re-running repairs what is missing and changes nothing else.
 */
import * as path from "node:path";
import { TenantValidationError, type TenantSpec } from "../components/tenant-spec";
import { type LocalJoomla, localJoomla, provisionPlatform } from "../devenv/local-platform";
import { LOCAL_PASSPHRASE, blockedEngineParts, offboardRemovedTenants, upWithPulumi } from "../devenv/local-pulumi";
import { caFile, ensureServices, serviceStatus, stopServices } from "../devenv/local-services";
import { type LocalSettings, localSettings } from "../devenv/local-settings";
import { loadLocalTenants, offboardRemovedWithoutPulumi, provisionTenant, shownPath, tenantSecrets } from "../devenv/local-tenants";
import { mokowaas } from "../devenv/server-cli";

const say = (line = "") => console.log(line);

/** A box of `!` that nobody scrolls past; long lines are wrapped. */
function banner(lines: string[], width = 100): void {
    const inner = width - 4;
    const wrapped = lines.flatMap((l) => {
        const indent = /^\s*/.exec(l)![0] + "    ";
        const out: string[] = [];
        for (let rest = l; rest.length > 0; rest = indent + rest.slice(inner).trimStart()) {
            out.push(rest.slice(0, inner));
            if (rest.length <= inner) break;
        }
        return out;
    });
    say("!".repeat(width));
    for (const l of wrapped) say(`! ${l.padEnd(inner)} !`);
    say("!".repeat(width));
}

interface SiteInfo {
    spec: TenantSpec;
    adminPassword: string;
    /** Where the password is kept. */
    passwordFrom: string;
}

function printSites(s: LocalSettings, sites: SiteInfo[], mode: string): void {
    const port = s.ports.https === 443 ? "" : `:${s.ports.https}`;
    const ca = caFile(s);
    say();
    say(`MokoWaaS local platform is up (${mode}).`);
    say(`Caddy's local CA (trust it, or pass it to curl): ${ca}`);
    for (const { spec, adminPassword, passwordFrom } of sites) {
        const { dev, production } = spec.domains;
        say();
        say(`${spec.name}: ${spec.displayName}   (${shownPath(s, spec.file)})`);
        say(`  dev:         https://${dev}${port}/   (always served, noindex)`);
        say(`  production:  https://${production}${port}/   (${spec.online ? "online" : "offline: 503 coming soon until online: true in the tenant file, then re-run"})`);
        for (const host of [dev, production]) say(`  curl --resolve ${host}:${s.ports.https}:127.0.0.1 --cacert ${ca} https://${host}${port}/`);
        say(`  admin:       https://${dev}${port}/administrator/   user ${spec.admin.username}   password ${adminPassword}`);
        say(`               (local demo data; kept in ${passwordFrom})`);
    }
    say();
    say("These host names are not in DNS: use curl --resolve as above, or map them to 127.0.0.1 in /etc/hosts.");
    say("Stop everything with `npm run local -- down` (data stays in " + s.state + ").");
}

async function upWithoutPulumi(s: LocalSettings, joomla: LocalJoomla, tenants: TenantSpec[]): Promise<SiteInfo[]> {
    for (const l of await ensureServices(s, ["mysql", "php-fpm", "caddy"])) say(`  ${l}`);
    say("platform local (server steps of infra/platform.ts, run here with sh):");
    const platform = provisionPlatform(s, joomla, (l) => say(l));
    for (const t of await offboardRemovedWithoutPulumi(s, platform, tenants)) say(`tenant ${t}: its file is no longer in ${s.tenantsDir}: offboarded (final archive kept; database, user and entry removed)`);
    const sites: SiteInfo[] = [];
    for (const spec of tenants) {
        say(`tenant ${spec.name} (steps of components/tenant.ts):`);
        for (const l of await provisionTenant(s, platform, spec)) say(`  ${l}`);
        sites.push({ spec, adminPassword: tenantSecrets(s, spec.name).adminPassword, passwordFrom: path.join(s.paths.secrets, `tenant-${spec.name}.json`) });
    }
    return sites;
}

async function upWithEngine(s: LocalSettings, joomla: LocalJoomla, tenants: TenantSpec[]): Promise<SiteInfo[]> {
    for (const l of await ensureServices(s, ["mysql", "php-fpm", "caddy", "sshd"])) say(`  ${l}`);
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        say(`PULUMI_CONFIG_PASSPHRASE is not set: the local stacks use the local-only passphrase "${LOCAL_PASSPHRASE}"`);
    }
    const results = upWithPulumi(s, joomla, tenants, (l) => say(l));
    offboardRemovedTenants(s, tenants, (l) => say(l));
    return tenants.map((spec) => {
        const out = results.find((r) => r.stack === spec.name)?.outputs ?? {};
        return { spec, adminPassword: typeof out.adminPassword === "string" ? out.adminPassword : "?", passwordFrom: `pulumi stack output --show-secrets -s ${spec.name}` };
    });
}

async function up(s: LocalSettings): Promise<void> {
    // Bad tenant files stop everything before anything starts.
    const tenants = loadLocalTenants(s);
    const joomla = localJoomla();
    say(`Joomla ${joomla.version}: ${joomla.file} (${joomla.source} package, sha512 verified)`);
    // MOKOWAAS_LOCAL_WITHOUT_PULUMI=1 asks for the fallback on purpose (its own test uses it).
    const forced = process.env.MOKOWAAS_LOCAL_WITHOUT_PULUMI === "1";
    const blocked = forced ? ["forced by MOKOWAAS_LOCAL_WITHOUT_PULUMI=1 (the engine is not looked at)"] : blockedEngineParts(s);
    if (blocked.length === 0) {
        say("Pulumi engine complete: provisioning with `pulumi up` (platform local, then each tenant stack).");
        printSites(s, await upWithEngine(s, joomla, tenants), "Pulumi mode: stacks local, " + tenants.map((t) => t.name).join(", "));
        return;
    }
    banner([
        `NOT PULUMI: ${forced ? "asked for" : "the Pulumi engine on this machine is incomplete"}, so \`npm run local\` provisions`,
        "the platform and the demo tenants WITHOUT Pulumi, by running the server CLI verbs itself in",
        "the order the platform and tenant stacks would. No Pulumi state is written. Why:",
        ...blocked.map((b) => `  - ${b}`),
        "Details: $PULUMI_HOME/toolchain.txt (scripts/install-pulumi.sh) and docs/pulumi-toolchain.md.",
    ]);
    printSites(s, await upWithoutPulumi(s, joomla, tenants), "NOT Pulumi: server CLI verbs run directly");
}

async function status(s: LocalSettings): Promise<void> {
    say(`state: ${s.state}`);
    for (const svc of await serviceStatus(s)) {
        say(`  ${svc.name.padEnd(8)} ${svc.pid ? `running (pid ${svc.pid})` : "stopped"}, port ${svc.port} ${svc.listening ? "answers" : "does not answer"}`);
    }
    const r = mokowaas(s.paths.root, ["registry", "list"]);
    if (r.status === 0) {
        for (const e of JSON.parse(r.stdout) as { tenant: string; state?: string; online?: boolean; hosts?: { dev: string; production: string } }[]) {
            say(`  tenant ${e.tenant}: ${e.state ?? "?"}, ${e.online ? "online" : "offline"}, ${e.hosts?.dev} / ${e.hosts?.production}`);
        }
    }
}

async function main(): Promise<void> {
    const cmd = process.argv[2] ?? "up";
    if (!["up", "down", "status"].includes(cmd)) {
        console.error(`usage: npm run local [-- up|down|status]   (unknown subcommand "${cmd}")`);
        process.exit(2);
    }
    const s = localSettings();
    if (cmd === "down") {
        for (const l of await stopServices(s)) say(`  ${l}`);
        return;
    }
    if (cmd === "status") return status(s);
    if (process.getuid?.() !== 0) {
        console.error("npm run local needs root: PHP-FPM's workers run as www-data and the platform files are root's, as on a server (run it with sudo)");
        process.exit(1);
    }
    await up(s);
}

main().catch((e: unknown) => {
    if (e instanceof TenantValidationError) console.error(e.message);
    else console.error(`npm run local: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
