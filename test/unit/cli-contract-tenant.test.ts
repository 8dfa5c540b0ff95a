/**
 * Every server CLI call a tenant stack declares (registry entry, seed, offboard) exists with
 * that spelling in the real CLI (helpers/cli-contract.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { expectAccepted, invocations } from "./helpers/cli-contract";
import { platformStack } from "./helpers/platform-fixture";
import { installMocks, settle } from "./helpers/pulumi-mocks";

const CLI_PATH = "/opt/mokowaas/runtime/bin/mokowaas";
const registered = installMocks({ stack: "acme", stacks: { "organization/mokowaas/prod": platformStack({ mokowaas: `env MOKOWAAS_ROOT=/ php ${CLI_PATH}` }) } });

beforeAll(async () => {
    const program = (await import("../../index")).default;
    await program();
    await settle();
});

describe("server CLI contract: tenant stack", () => {
    it("finds every call: registry entry (offboard on delete) and seed", () => {
        expect(invocations(registered, CLI_PATH).map((i) => `${i.where}: ${i.args.join(" ")}`)).toEqual([
            "acme-registry.create: registry put acme",
            "acme-registry.delete: offboard acme",
            "acme-seed.create: tenant seed acme",
        ]);
    });

    it("every call names a verb and options the real CLI accepts", () => {
        for (const inv of invocations(registered, CLI_PATH)) expectAccepted(inv);
    });
});
