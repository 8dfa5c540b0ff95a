/** A stack that is neither a tenant nor a valid platform fails with a message saying what to do, declaring nothing. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { HOST_KEY } from "./helpers/platform-fixture";
import { installMocks, settle } from "./helpers/pulumi-mocks";
import { stackConfig } from "./helpers/stack-config";

const registered = installMocks({ stack: "staging-eu" });
let program: () => Promise<Record<string, unknown>>;
const failure = () => program().then(() => "no error", (e: Error) => e.message);

beforeAll(async () => {
    program = (await import("../../index")).default;
});

describe("stack role", () => {
    it("without a tenant file or platform config: says how to add either", async () => {
        pulumi.runtime.setAllConfig({});
        expect(await failure()).toBe(
            'stack "staging-eu" is neither a tenant nor a platform: there is no tenants/staging-eu.yaml and no platform config (mokowaas:server). ' +
                "To add a tenant, create that file (see tenants/acme.yaml); to add a platform, set its config in Pulumi.staging-eu.yaml (see docs/config.md).",
        );
    });

    it("with incomplete platform config: lists every problem, one a line", async () => {
        pulumi.runtime.setAllConfig({ "mokowaas:server": JSON.stringify({ provider: "hetzner", serverTyp: "cx22" }), "mokowaas:adminCidrs": JSON.stringify(["0.0.0.0/99"]) });
        expect((await failure()).split("\n")).toEqual([
            'invalid platform config of stack "staging-eu" (Pulumi.staging-eu.yaml):',
            "mokowaas:hostname: is required (see docs/config.md)",
            "mokowaas:server.serverTyp: unknown key (see docs/config.md)",
            "mokowaas:adminCidrs.0: must be a CIDR block such as 203.0.113.7/32 or 2001:db8::/64",
            "mokowaas:joomla: is required (see docs/config.md)",
        ]);
    });

    it("with an unknown platform key: names it", async () => {
        pulumi.runtime.setAllConfig({ ...stackConfig("prod"), "mokowaas:adminCidr": "203.0.113.7/32" });
        expect(await failure()).toBe('invalid platform config of stack "staging-eu" (Pulumi.staging-eu.yaml):\nmokowaas:adminCidr: unknown key for a platform stack (see docs/config.md)');
    });

    it("without the SSH private key: says how to set it", async () => {
        pulumi.runtime.setAllConfig(stackConfig("prod", { "mokowaas:mysql": { tunnelPort: 13307 } }));
        expect(await failure()).toBe(
            'invalid platform config of stack "staging-eu" (Pulumi.staging-eu.yaml):\n' +
                "mokowaas:sshPrivateKey: is required: `pulumi config set --secret mokowaas:sshPrivateKey < key` (or set mokowaas:ssh.privateKeyFile)",
        );
    });

    it("with an ssh:// borgRepo but without the server's key for it: says how to set it", async () => {
        pulumi.runtime.setAllConfig(stackConfig("prod", {
            "mokowaas:mysql": { tunnelPort: 13307 }, "mokowaas:borgRepo": "ssh://borg@backup.example.net/./prod", "mokowaas:borgHostKey": HOST_KEY,
        }));
        expect(await failure()).toMatch(/^invalid platform config of stack "staging-eu" \(Pulumi\.staging-eu\.yaml\):\nmokowaas:borgSshPrivateKey: is required for an ssh:\/\/ borgRepo: `pulumi config set --secret mokowaas:borgSshPrivateKey < key`/);
    });

    it("with the MySQL tunnel port of another platform (Pulumi.prod.yaml): names that platform", async () => {
        pulumi.runtime.setAllConfig(stackConfig("prod"));
        expect(await failure()).toBe(
            'invalid platform config of stack "staging-eu" (Pulumi.staging-eu.yaml):\n' +
                'mokowaas:mysql.tunnelPort: 13306 is also the tunnel port of platform "prod" (Pulumi.prod.yaml); ' +
                "the fleet holds every platform's tunnel at once: give each platform its own port",
        );
    });

    it("declares nothing in any of these cases", async () => {
        await settle();
        expect(registered).toEqual([]);
    });
});
