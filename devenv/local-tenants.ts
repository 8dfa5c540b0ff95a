/**
 * The demo tenants WITHOUT Pulumi: per tenant the steps of components/tenant.ts in its order —
 * passwords -> database, user, grant (through the platform's MySQL admin account) -> registry
 * entry (`registry put`, the entry built by the same registryEntry()) -> seed (`tenant seed`,
 * once) -> DNS (external: the records are printed). Passwords are generated once and kept in the
 * local secrets folder (0600), as Pulumi keeps them in its state.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import mysql from "mysql2/promise";
import { dnsRecordsFor } from "../components/dns";
import { mokowaasCommand } from "../components/server-command";
import { TENANT_PRIVILEGES, registryEntry } from "../components/tenant";
import { type TenantSpec, TenantValidationError, loadTenants } from "../components/tenant-spec";
import type { ProvisionedPlatform } from "./local-platform";
import { randomPassword, sh } from "./local-platform";
import { type LocalSettings, secret } from "./local-settings";

export interface TenantSecrets {
    dbPassword: string;
    joomlaSecret: string;
    adminPassword: string;
}

/** The demo tenant files, through the same validator as tenants/*.yaml; all of them must name platform `local`. */
export function loadLocalTenants(s: LocalSettings): TenantSpec[] {
    const { specs, problems } = loadTenants(s.tenantsDir);
    if (problems.length > 0) throw new TenantValidationError(problems);
    if (specs.length === 0) throw new Error(`${s.tenantsDir}: no tenant files (*.yaml)`);
    const elsewhere = specs.filter((t) => t.platform !== "local");
    if (elsewhere.length > 0) {
        throw new Error(elsewhere.map((t) => `${t.file}: platform: "${t.platform}" is not the local platform; set platform: local`).join("\n"));
    }
    return specs;
}

export function tenantSecrets(s: LocalSettings, tenant: string): TenantSecrets {
    const json = secret(s, `tenant-${tenant}.json`, () =>
        JSON.stringify({ dbPassword: randomPassword(32), joomlaSecret: randomPassword(32), adminPassword: randomPassword(24) }) + "\n",
    );
    return JSON.parse(json) as TenantSecrets;
}

/** Creates or repairs one tenant; returns what it did, one line per step. */
export async function provisionTenant(s: LocalSettings, p: ProvisionedPlatform, spec: TenantSpec): Promise<string[]> {
    const lines: string[] = [];
    const secrets = tenantSecrets(s, spec.name);
    const c = p.config;

    // database, user, grant: what the mysql provider does, as the platform's admin account
    const admin = await mysql.createConnection({
        host: c.mysql.serverHost, port: c.mysql.serverPort, user: c.mysql.adminUser, password: p.adminPassword,
    });
    try {
        const account = `'${spec.database}'@'${c.mysql.tenantUserHost}'`;
        await admin.query(`CREATE DATABASE IF NOT EXISTS \`${spec.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        await admin.query(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ?`, [secrets.dbPassword]);
        await admin.query(`ALTER USER ${account} IDENTIFIED BY ?`, [secrets.dbPassword]);
        await admin.query(`GRANT ${TENANT_PRIVILEGES.join(", ")} ON \`${spec.database}\`.* TO ${account}`);
    } finally {
        await admin.end();
    }
    lines.push(`database ${spec.database}, user ${spec.database}@${c.mysql.tenantUserHost} (granted on it only)`);

    const entry = registryEntry(spec, { mysqlHost: c.mysql.serverHost, mysqlPort: c.mysql.serverPort }, secrets);
    sh(`registry put ${spec.name}`, mokowaasCommand(p.mokowaas, "registry", "put", spec.name), JSON.stringify(entry));
    lines.push(`registry entry put (online: ${spec.online})`);

    if (stateOf(p, spec.name) === "provisioning") {
        const admin = { username: spec.admin.username, email: spec.admin.email, password: secrets.adminPassword };
        sh(`tenant seed ${spec.name}`, mokowaasCommand(p.mokowaas, "tenant", "seed", spec.name), JSON.stringify(admin));
        lines.push("seeded from the blueprint");
    } else {
        lines.push("already seeded");
    }

    const records = dnsRecordsFor(spec, { hostname: c.hostname, ipv4: c.server.provider === "existing" ? (c.server.ipv4 ?? c.server.address) : "" });
    const list = records.map((r) => `${r.record} ${r.type} ${r.value}`).join(", ");
    lines.push(spec.dns.provider === "external" ? `DNS (external, for the zone's owner to create): ${list}` : `DNS (dreamhost): NOT created without Pulumi: ${list}`);
    return lines;
}

function stateOf(p: ProvisionedPlatform, tenant: string): string | undefined {
    const list = JSON.parse(sh("registry list", mokowaasCommand(p.mokowaas, "registry", "list"))) as { tenant: string; state?: string }[];
    return list.find((e) => e.tenant === tenant)?.state;
}

/** The tenant files' folder relative to the repo when inside it (for messages). */
export function shownPath(s: LocalSettings, file: string): string {
    const rel = path.relative(s.repo, file);
    return rel.startsWith("..") ? file : rel;
}

/**
 * Tenants on the local platform whose file is gone from the tenants folder: offboarded the way
 * their stack's destroy would (`mokowaas offboard`: final verified archive, folders and entry
 * removed), then their grant, user and database dropped and their local secrets removed.
 */
export async function offboardRemovedWithoutPulumi(s: LocalSettings, p: ProvisionedPlatform, tenants: TenantSpec[]): Promise<string[]> {
    const list = JSON.parse(sh("registry list", mokowaasCommand(p.mokowaas, "registry", "list"))) as { tenant: string; db?: { name: string; user: string } }[];
    const gone = list.filter((e) => !tenants.some((t) => t.name === e.tenant));
    for (const e of gone) {
        sh(`offboard ${e.tenant}`, mokowaasCommand(p.mokowaas, "offboard", e.tenant));
        const c = p.config;
        const admin = await mysql.createConnection({ host: c.mysql.serverHost, port: c.mysql.serverPort, user: c.mysql.adminUser, password: p.adminPassword });
        try {
            if (e.db) {
                await admin.query(`DROP USER IF EXISTS '${e.db.user}'@'${c.mysql.tenantUserHost}'`);
                await admin.query(`DROP DATABASE IF EXISTS \`${e.db.name}\``);
            }
        } finally {
            await admin.end();
        }
        fs.rmSync(path.join(s.paths.secrets, `tenant-${e.tenant}.json`), { force: true });
    }
    return gone.map((e) => e.tenant);
}
