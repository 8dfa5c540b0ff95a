/**
 * One tenant: its passwords, MySQL database/user/grant, registry entry and seeded site on the
 * platform server, and its DNS records, declared in the lifecycle order of DESIGN.md.
 *
 * Create: passwords -> database, user, grant -> registry entry (`mokowaas registry put`) ->
 * seed (`mokowaas tenant seed`) -> DNS records.
 * Delete is the reverse, enforced by dependency edges: DNS records go first; the registry entry's
 * delete runs `mokowaas offboard` (hosts stop, final verified backup, folders and entry removed)
 * and must succeed before the grant, user and database it depends on can be dropped.
 */
import * as mysql from "@pulumi/mysql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type DnsRecordSpec, declareDnsRecords, dnsRecordsFor } from "./dns";
import type { PlatformRef } from "./platform-ref";
import { mokowaasCommand, serverCommand } from "./server-command";
import type { TenantSpec } from "./tenant-spec";

export interface TenantArgs {
    /** The validated tenant file. */
    spec: TenantSpec;
    /** The platform that hosts the tenant (read from its stack). */
    platform: PlatformRef;
}

/** Table prefix of every tenant database (the blueprint is built with it). */
export const TABLE_PREFIX = "jos_";

/**
 * What a tenant's database user may do: Joomla's runtime and its schema updates, on its own
 * database only (never GRANT OPTION, never global privileges).
 */
export const TENANT_PRIVILEGES = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX",
    "CREATE TEMPORARY TABLES", "LOCK TABLES", "CREATE VIEW", "SHOW VIEW", "TRIGGER", "REFERENCES",
];

/** The registry entry `mokowaas registry put` reads on stdin (docs/server-cli.md). */
export interface RegistryEntry {
    tenant: string;
    hosts: { dev: string; production: string; aliases: string[] };
    online: boolean;
    db: { host: string; port: number; name: string; user: string; password: string; prefix: string };
    secret: string;
    siteName: string;
    mail: { from: string; fromName: string };
    comingSoon: { title: string; message: string };
    backup: { keep: { daily: number; weekly: number; monthly: number } };
    /** The tenant's PHP pool and slice limits (runtime/tenant-limits.json). */
    limits: Record<string, number>;
    /** Platform extensions installed in the tenant's database (docs/extensions.md); absent: none. */
    extensions?: string[];
    /** The release the tenant is held on (`joomla-<version>`): `mokowaas upgrade` moves it nowhere else. */
    holdRelease?: string;
}

export function registryEntry(
    spec: TenantSpec,
    server: { mysqlHost: string; mysqlPort: number },
    secrets: { dbPassword: string; joomlaSecret: string },
): RegistryEntry {
    return {
        tenant: spec.name,
        hosts: { dev: spec.domains.dev, production: spec.domains.production, aliases: [...spec.domains.aliases] },
        online: spec.online,
        db: {
            host: server.mysqlHost,
            port: server.mysqlPort,
            name: spec.database,
            user: spec.database,
            password: secrets.dbPassword,
            prefix: TABLE_PREFIX,
        },
        secret: secrets.joomlaSecret,
        siteName: spec.displayName,
        mail: { from: spec.admin.email, fromName: spec.displayName },
        comingSoon: spec.comingSoon,
        backup: spec.backup,
        limits: { ...spec.limits },
        // Only when it lists some: an entry without the key has none (and existing tenants' entries stay as they were).
        ...(spec.extensions.length > 0 ? { extensions: [...spec.extensions] } : {}),
        ...(spec.joomlaRelease !== undefined ? { holdRelease: `joomla-${spec.joomlaRelease}` } : {}),
    };
}

export class TenantComponent extends pulumi.ComponentResource {
    /** Site URLs: dev (always served) and production (served when online). */
    readonly urls: pulumi.Output<{ dev: string; production: string }>;
    readonly database: pulumi.Output<string>;
    readonly adminUsername: pulumi.Output<string>;
    /** Secret. */
    readonly adminPassword: pulumi.Output<string>;
    /** Every DNS record the tenant needs and who creates it. */
    readonly dnsRecords: pulumi.Output<ReturnType<typeof declareDnsRecords>["records"]>;

    constructor(name: string, args: TenantArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mokowaas:index:Tenant", name, {}, opts);
        const { spec, platform } = args;
        const child = (suffix: string) => `${name}-${suffix}`;

        const passwords = this.createPasswords(child);
        const db = this.createDatabase(child, spec, platform, passwords.db.result);
        const entry = this.putRegistryEntry(child, spec, platform, passwords, [db.database, db.user, db.grant]);
        const seed = this.seedSite(child, spec, platform, passwords.admin.bcryptHash, entry);
        const records: DnsRecordSpec[] = dnsRecordsFor(spec, platform);
        const dns = declareDnsRecords(name, spec.dns.provider, records, { parent: this, after: [seed] });

        this.urls = pulumi.output({ dev: `https://${spec.domains.dev}/`, production: `https://${spec.domains.production}/` });
        this.database = db.database.name;
        this.adminUsername = pulumi.output(spec.admin.username);
        this.adminPassword = pulumi.secret(passwords.admin.result);
        this.dnsRecords = pulumi.output(dns.records);
        this.registerOutputs({
            urls: this.urls,
            database: this.database,
            adminUsername: this.adminUsername,
            adminPassword: this.adminPassword,
            dnsRecords: this.dnsRecords,
        });
    }

    /** Letters and digits only: safe in JSON, SQL, shell and Joomla's password rules alike. */
    private createPasswords(child: (s: string) => string) {
        const password = (suffix: string, length: number) =>
            new random.RandomPassword(child(suffix), { length, special: false, minUpper: 1, minLower: 1, minNumeric: 1 }, { parent: this });
        return { db: password("db-password", 32), secret: password("joomla-secret", 32), admin: password("admin-password", 24) };
    }

    private createDatabase(child: (s: string) => string, spec: TenantSpec, platform: PlatformRef, password: pulumi.Output<string>) {
        const admin = platform.mysqlAdmin;
        const provider = new mysql.Provider(
            child("mysql"),
            {
                endpoint: platform.mysql.endpoint,
                tls: platform.mysql.tls,
                username: admin.apply((a) => a.username),
                password: pulumi.secret(admin.apply((a) => a.password)),
            },
            { parent: this },
        );
        const opts = { parent: this, provider };
        const database = new mysql.Database(
            child("database"),
            { name: spec.database, defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" },
            opts,
        );
        // A change of the privilege list recreates the account (DROP USER takes every privilege
        // with it) and its grant: see the grant.
        const user = new mysql.User(
            child("db-user"),
            { user: spec.database, host: platform.mysql.tenantUserHost, plaintextPassword: password },
            { ...opts, deleteBeforeReplace: true, replacementTrigger: TENANT_PRIVILEGES.join(",") },
        );
        // The bridged provider revokes a grant with `REVOKE GRANT OPTION ...` first, which MySQL 8+
        // refuses for an account that never had GRANT OPTION (error 1141): the grant is never
        // revoked on its own, it goes with its account (`deletedWith`), as DROP USER removes it.
        const grant = new mysql.Grant(
            child("db-grant"),
            { user: user.user, host: user.host, database: database.name, table: "*", privileges: TENANT_PRIVILEGES },
            { ...opts, deletedWith: user },
        );
        return { database, user, grant };
    }

    /**
     * The registry entry. Never replaced (no triggers): a replacement would run `offboard`. Its
     * update re-puts the entry, which keeps the tenant's state on the server.
     */
    private putRegistryEntry(
        child: (s: string) => string,
        spec: TenantSpec,
        platform: PlatformRef,
        passwords: ReturnType<TenantComponent["createPasswords"]>,
        after: pulumi.Resource[],
    ) {
        const entry = pulumi
            .all([passwords.db.result, passwords.secret.result])
            .apply(([dbPassword, joomlaSecret]) =>
                JSON.stringify(
                    registryEntry(spec, { mysqlHost: platform.mysql.serverHost, mysqlPort: platform.mysql.serverPort }, { dbPassword, joomlaSecret }),
                ),
            );
        return serverCommand(
            child("registry"),
            {
                connection: platform.ssh,
                create: mokowaasCommand(platform.mokowaas, "registry", "put", spec.name),
                delete: mokowaasCommand(platform.mokowaas, "offboard", spec.name),
                stdin: entry,
            },
            { parent: this, dependsOn: after },
        );
    }

    /**
     * Seeds the site from the platform's blueprint, once: `tenant seed` refuses a non-empty
     * database, so a later change of the admin fields is made in Joomla, not here (stdin changes
     * are ignored and the update is a no-op). The admin password goes as the provider's bcrypt
     * hash (`$2a$10$`, secret), stored as is: the plain password never reaches the server.
     */
    private seedSite(child: (s: string) => string, spec: TenantSpec, platform: PlatformRef, adminPasswordHash: pulumi.Output<string>, entry: pulumi.Resource) {
        const stdin = pulumi.secret(adminPasswordHash).apply((passwordHash) => JSON.stringify({ username: spec.admin.username, email: spec.admin.email, passwordHash }));
        return serverCommand(
            child("seed"),
            {
                connection: platform.ssh,
                create: mokowaasCommand(platform.mokowaas, "tenant", "seed", spec.name),
                update: "true",
                stdin,
            },
            { parent: this, dependsOn: [entry], ignoreChanges: ["stdin"] },
        );
    }
}
