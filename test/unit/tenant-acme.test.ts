/**
 * Tenant stack "acme" (tenants/acme.yaml: external DNS, a subdomain production host, one alias)
 * on the mocked "prod" platform: graph, real names, secrets, lifecycle order, StackReference wiring.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, PRIVATE_KEY, platformStack } from "./helpers/platform-fixture";
import { installMocks, mockPassword, settle, valueOf } from "./helpers/pulumi-mocks";
import { TYPES, expectCommandsSealed, expectDependsOn, expectNoSecretInCommands, expectSeedSendsHash, isSecretOutput, tenantResource, tenantSecrets } from "./helpers/tenant-checks";

const registered = installMocks({ stack: "acme", stacks: { "organization/mokowaas/prod": platformStack() } });
let outputs: Record<string, any>;
const r = (type: keyof typeof TYPES, suffix: string) => tenantResource(registered, "acme", type, suffix);

beforeAll(async () => {
    const program = (await import("../../index")).default;
    outputs = await program();
    await settle();
});

describe("tenant stack acme", () => {
    it("declares exactly the tenant's resources, each under the Tenant component", () => {
        expect(registered.map((x) => `${x.type} ${x.name}`).sort()).toEqual([
            `${TYPES.command} acme-registry`,
            `${TYPES.command} acme-seed`,
            `${TYPES.tenant} acme`,
            `${TYPES.database} acme-database`,
            `${TYPES.grant} acme-db-grant`,
            `${TYPES.user} acme-db-user`,
            `${TYPES.mysqlProvider} acme-mysql`,
            `${TYPES.stackRef} platform-prod`,
            `${TYPES.password} acme-admin-password`,
            `${TYPES.password} acme-db-password`,
            `${TYPES.password} acme-joomla-secret`,
        ]);
        const tenant = registered.find((x) => x.type === TYPES.tenant)!;
        for (const x of registered.filter((y) => y.name.startsWith("acme-"))) expect({ [x.name]: x.parentUrn }).toEqual({ [x.name]: tenant.urn });
    });

    it("uses real names: database and user acme, utf8mb4, user at the platform's tenant host", () => {
        expect(r("database", "database").inputs).toMatchObject({ name: "acme", defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" });
        expect(r("user", "db-user").inputs).toMatchObject({ user: "acme", host: "127.0.0.1", plaintextPassword: mockPassword("acme-db-password") });
        expect(r("user", "db-user").inputs.password).toBeUndefined();
    });

    it("grants the user its own database only, without GRANT OPTION", () => {
        const grant = r("grant", "db-grant").inputs;
        expect(grant).toMatchObject({ user: "acme", host: "127.0.0.1", database: "acme", table: "*" });
        expect(grant.privileges).not.toContain("ALL");
        expect(grant.privileges).not.toContain("GRANT OPTION");
        expect(grant.grant ?? false).toBe(false);
        expect(grant.privileges).toEqual(expect.arrayContaining(["SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "INDEX"]));
    });

    it("passwords are letters and digits of a safe length", () => {
        expect(r("password", "db-password").inputs).toMatchObject({ length: 32, special: false });
        expect(r("password", "joomla-secret").inputs).toMatchObject({ length: 32, special: false });
        expect(r("password", "admin-password").inputs).toMatchObject({ length: 24, special: false });
    });

    it("reads the platform through a StackReference named organization/mokowaas/<platform>", () => {
        const ref = registered.find((x) => x.type === TYPES.stackRef)!;
        expect(ref.inputs.name).toBe("organization/mokowaas/prod");
        // The mysql provider dials the tunnel endpoint the platform exports, with its admin account.
        expect(r("mysqlProvider", "mysql").inputs).toMatchObject({ endpoint: "127.0.0.1:13306", tls: "false", username: "mokowaas_admin", password: ADMIN_PASSWORD });
        expect(r("mysqlProvider", "mysql").secretInputs.sort()).toEqual(["password", "username"]);
        expect(r("command", "registry").inputs.connection).toMatchObject({ host: "203.0.113.10", port: 22, user: "root", privateKey: PRIVATE_KEY });
    });

    it("puts the registry entry of docs/server-cli.md on stdin; its delete is offboard", () => {
        const reg = r("command", "registry").inputs;
        expect(reg.create).toBe("env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas registry put acme");
        expect(reg.delete).toBe("env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas offboard acme");
        expect(reg.triggers, "a replaced registry entry would run offboard").toBeUndefined();
        expect(JSON.parse(reg.stdin)).toEqual({
            tenant: "acme",
            hosts: { dev: "dev.acme-widgets.example.com", production: "acme-widgets.example.com", aliases: ["www.acme-widgets.example.com"] },
            online: false,
            db: { host: "127.0.0.1", port: 3306, name: "acme", user: "acme", password: mockPassword("acme-db-password"), prefix: "jos_" },
            secret: mockPassword("acme-joomla-secret"),
            siteName: "Acme Widgets",
            mail: { from: "webmaster@acme-widgets.example.com", fromName: "Acme Widgets" },
            comingSoon: { title: "Acme Widgets is coming soon", message: "Our new shop opens in spring." },
            backup: { keep: { daily: 7, weekly: 4, monthly: 6 } },
            // Its YAML raises two limits; the others keep runtime/tenant-limits.json's defaults.
            limits: { phpWorkers: 8, phpMemoryMb: 512, requestTimeoutSeconds: 60, cpuPercent: 100, memoryMb: 1024 },
        });
    });

    it("seeds once with the admin on stdin, its password as a bcrypt hash only; a later change is not re-seeded", () => {
        const seed = r("command", "seed");
        expect(seed.inputs.create).toBe("env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas tenant seed acme");
        expect(seed.inputs.update).toBe("true");
        expect(seed.inputs.delete).toBeUndefined();
        expect(seed.ignoreChanges).toEqual(["stdin"]);
        expectSeedSendsHash(registered, "acme", { username: "acme-admin", email: "webmaster@acme-widgets.example.com" });
    });

    it("orders the lifecycle: offboard (registry delete) before grant, user and database are dropped; seed before registry", () => {
        const reg = r("command", "registry");
        for (const dep of [r("grant", "db-grant"), r("user", "db-user"), r("database", "database")]) expectDependsOn(registered, reg, dep);
        expectDependsOn(registered, r("command", "seed"), reg);
        expectDependsOn(registered, r("grant", "db-grant"), r("user", "db-user"));
        expectDependsOn(registered, r("grant", "db-grant"), r("database", "database"));
    });

    it("keeps every secret out of command strings and every command sealed", () => {
        expectNoSecretInCommands(registered, tenantSecrets("acme", [PRIVATE_KEY, ADMIN_PASSWORD]));
        expectCommandsSealed(registered);
        expect(r("user", "db-user").secretInputs).toEqual(["plaintextPassword"]);
    });

    it("outputs URLs, database, admin user, the admin password as a secret, and the DNS records for the client", async () => {
        expect(await valueOf(outputs.urls)).toEqual({ dev: "https://dev.acme-widgets.example.com/", production: "https://acme-widgets.example.com/" });
        expect(await valueOf(outputs.database)).toBe("acme");
        expect(await valueOf(outputs.adminUsername)).toBe("acme-admin");
        expect(await valueOf(outputs.adminPassword)).toBe(mockPassword("acme-admin-password"));
        expect(await isSecretOutput(outputs.adminPassword)).toBe(true);
        for (const key of ["urls", "database", "adminUsername", "dnsRecords"]) expect({ [key]: await isSecretOutput(outputs[key]) }).toEqual({ [key]: false });
        expect(outputs.dnsProvider).toBe("external");
        expect(await valueOf(outputs.dnsRecords)).toEqual([
            { record: "acme-widgets.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "production", managedBy: "client" },
            { record: "dev.acme-widgets.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "dev", managedBy: "client" },
            { record: "www.acme-widgets.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "alias", managedBy: "client" },
        ]);
    });
});
