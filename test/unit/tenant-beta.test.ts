/**
 * Tenant stack "beta" (tenants/beta.yaml: DreamHost DNS, an apex production host, defaults) with
 * the tenant-stack config overrides: another StackReference name and a local MySQL endpoint.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, PRIVATE_KEY, platformStack } from "./helpers/platform-fixture";
import { installMocks, mockPassword, settle, valueOf } from "./helpers/pulumi-mocks";
import { TYPES, expectCommandsSealed, expectDependsOn, expectNoSecretInCommands, expectSeedSendsHash, isSecretOutput, tenantResource, tenantSecrets } from "./helpers/tenant-checks";

const registered = installMocks({
    stack: "beta",
    config: { "mokowaas:platformStack": "acme-corp/mokowaas/prod", "mokowaas:mysqlEndpoint": "127.0.0.1:23306" },
    stacks: { "acme-corp/mokowaas/prod": platformStack({ mokowaas: "sudo env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas" }) },
});
let outputs: Record<string, any>;
const r = (type: keyof typeof TYPES, suffix: string) => tenantResource(registered, "beta", type, suffix);
const dns = () => registered.filter((x) => x.type === TYPES.dnsRecord);

beforeAll(async () => {
    const program = (await import("../../index")).default;
    outputs = await program();
    await settle();
});

describe("tenant stack beta (DreamHost DNS, apex domain)", () => {
    it("reads the platform stack named by mokowaas:platformStack and dials mokowaas:mysqlEndpoint", () => {
        expect(registered.find((x) => x.type === TYPES.stackRef)!.inputs.name).toBe("acme-corp/mokowaas/prod");
        expect(r("mysqlProvider", "mysql").inputs.endpoint).toBe("127.0.0.1:23306");
        expect(r("command", "registry").inputs.create).toBe("sudo env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas registry put beta");
    });

    it("declares A and AAAA at the apex and a CNAME for the dev host, as DreamHost records named after them", () => {
        expect(dns().map((x) => [x.name, x.inputs.record, x.inputs.type, x.inputs.value, x.inputs.comment])).toEqual([
            ["beta-dns-example.org-A", "example.org", "A", "203.0.113.10", "mokowaas beta production"],
            ["beta-dns-example.org-AAAA", "example.org", "AAAA", "2001:db8::1", "mokowaas beta production"],
            ["beta-dns-dev.example.org-CNAME", "dev.example.org", "CNAME", "prod.mokowaas.example.net", "mokowaas beta dev"],
            ["beta-dns-www.example.org-CNAME", "www.example.org", "CNAME", "prod.mokowaas.example.net", "mokowaas beta alias"],
        ]);
        const tenant = registered.find((x) => x.type === TYPES.tenant)!;
        for (const d of dns()) expect(d.parentUrn).toBe(tenant.urn);
    });

    it("creates DNS records last and deletes them first: each depends on the seeded site", () => {
        for (const d of dns()) expectDependsOn(registered, d, r("command", "seed"));
        expectDependsOn(registered, r("command", "seed"), r("command", "registry"));
        for (const dep of [r("grant", "db-grant"), r("user", "db-user"), r("database", "database")]) expectDependsOn(registered, r("command", "registry"), dep);
    });

    it("uses the defaults of the tenant spec in the registry entry", () => {
        const entry = JSON.parse(r("command", "registry").inputs.stdin);
        expect(entry).toMatchObject({
            tenant: "beta",
            hosts: { dev: "dev.example.org", production: "example.org", aliases: ["www.example.org"] },
            online: false,
            db: { name: "beta", user: "beta", prefix: "jos_", password: mockPassword("beta-db-password") },
            comingSoon: { title: "Beta Bakery: coming soon", message: "This site is being built. Please come back soon." },
            backup: { keep: { daily: 7, weekly: 4, monthly: 6 } },
        });
    });

    it("keeps every secret out of command strings and every command sealed", async () => {
        expectNoSecretInCommands(registered, tenantSecrets("beta", [PRIVATE_KEY, ADMIN_PASSWORD]));
        expectCommandsSealed(registered);
        expect(await isSecretOutput(outputs.adminPassword)).toBe(true);
    });

    it("seeds with the admin password's bcrypt hash on stdin, never the password", () => {
        expectSeedSendsHash(registered, "beta", { username: "beta-admin", email: "owner@example.org" });
    });

    it("lists the DNS records as managed by Pulumi", async () => {
        expect(outputs.dnsProvider).toBe("dreamhost");
        expect((await valueOf(outputs.dnsRecords) as { managedBy: string }[]).map((x) => x.managedBy)).toEqual(["pulumi", "pulumi", "pulumi", "pulumi"]);
    });
});
