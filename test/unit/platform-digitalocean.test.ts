/** A platform on a DigitalOcean droplet, reached as a sudo user, under mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { fakePrivateKey } from "./helpers/platform-fixture";
import { cloudInit } from "../../infra/cloud-init";
import { ed25519HostKey } from "../../infra/host-key";
import { expectExportContract, expectHostKeyPinned, expectPlatformSecrets, expectSetupOrder, platformCommand } from "./helpers/platform-checks";
import { installMocks, mockBytes, mockPassword, one, settle, valueOf } from "./helpers/pulumi-mocks";
import { stackConfig } from "./helpers/stack-config";

const KEY = fakePrivateKey("dokeyfortestsonly");
const BORG = "AdoptedBorgPassphrase0123456789abcdef";
/** The key the stack generates (in the droplet's user data) and the one configured to adopt a droplet made before it. */
const GENERATED = ed25519HostKey(mockBytes("prod-do-ssh-host-key"));
const ADOPTED = ed25519HostKey(Buffer.alloc(32, 42)).publicKey;
const registered = installMocks({
    stack: "prod-do",
    config: {
        ...stackConfig("prod", {
            "mokowaas:hostname": "do.mokowaas.example.net",
            "mokowaas:server": { provider: "digitalocean", size: "s-2vcpu-4gb", region: "ams3" },
            "mokowaas:adminCidrs": ["198.51.100.7/32", "2001:db8:1::/48"],
            "mokowaas:ssh": { user: "deploy", publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDoExampleKey deploy@example.net", hostKey: ADOPTED },
            "mokowaas:mysql": { tunnelPort: 13307 },
            "mokowaas:caddy": { httpPort: 8080, httpsPort: 8443, httpsSuffix: ":8443", acmeEmail: "ops@example.net" },
        }),
        "mokowaas:sshPrivateKey": KEY,
        "mokowaas:borgPassphrase": BORG,
    },
    secretKeys: ["mokowaas:sshPrivateKey", "mokowaas:borgPassphrase"],
});
let outputs: Record<string, any>;

beforeAll(async () => {
    const program = (await import("../../index")).default;
    outputs = await program();
    await settle();
});

describe("platform prod-do on DigitalOcean", () => {
    it("creates the droplet with IPv6, the key and cloud-init, under real names", () => {
        const droplet = one(registered, "digitalocean:index/droplet:Droplet", "mokowaas-prod-do");
        expect(droplet.inputs).toMatchObject({
            name: "mokowaas-prod-do", image: "ubuntu-24-04-x64", size: "s-2vcpu-4gb", region: "ams3", ipv6: true,
            sshKeys: ["aa:bb:cc"], userData: cloudInit({ hostname: "do.mokowaas.example.net", hostKey: GENERATED }),
        });
        expect(droplet.secretInputs).toContain("userData");
        expect(droplet.ignoreChanges.sort()).toEqual(["sshKeys", "userData"]);
        expect(droplet.protect).toBe(true);
        expect(one(registered, "digitalocean:index/sshKey:SshKey", "mokowaas-prod-do").inputs.name).toBe("mokowaas-prod-do");
        expect(registered.some((r) => r.type.startsWith("hcloud:"))).toBe(false);
    });

    it("pins the configured host key (adopting a droplet made before the stack generated keys), not the generated one", async () => {
        await expectHostKeyPinned(registered, outputs, ADOPTED, GENERATED.privateKey);
    });

    it("attaches a firewall that must not open SSH or MySQL to the internet; web ports follow Caddy's", () => {
        const fw = one(registered, "digitalocean:index/firewall:Firewall", "mokowaas-prod-do").inputs;
        expect(fw.name).toBe("mokowaas-prod-do");
        expect(fw.dropletIds).toEqual([9001]);
        expect((fw.inboundRules as { portRange: string; sourceAddresses: string[] }[]).map((r) => [r.portRange, r.sourceAddresses])).toEqual([
            ["8080", ["0.0.0.0/0", "::/0"]],
            ["8443", ["0.0.0.0/0", "::/0"]],
            ["22", ["198.51.100.7/32", "2001:db8:1::/48"]],
            ["3306", ["198.51.100.7/32", "2001:db8:1::/48"]],
        ]);
    });

    it("runs every server command through sudo as the SSH user", () => {
        expect(platformCommand(registered, "prod-do", "platform-init").inputs.create).toMatch(/^sudo env MOKOWAAS_ROOT=\/ php \/opt\/mokowaas\/runtime\/bin\/mokowaas platform init /);
        expect(platformCommand(registered, "prod-do", "mysql-admin").inputs.create).toMatch(/\n {2}\| sudo mysql$/);
        expect(platformCommand(registered, "prod-do", "runtime-copy").inputs.connection).toMatchObject({ user: "deploy", host: "198.51.100.20" });
        expect(platformCommand(registered, "prod-do", "borg-passphrase").inputs.create).toContain("| sudo sh -c 'umask 077;");
        expect(platformCommand(registered, "prod-do", "caddy").inputs.create).toContain("sudo systemctl reload caddy.service");
        expect(platformCommand(registered, "prod-do", "php-fpm").inputs.create).toContain("sudo /usr/sbin/php-fpm8.3 -t");
        expect(platformCommand(registered, "prod-do", "timers").inputs.create).toContain("sudo systemctl enable --now");
        expectSetupOrder(registered, "prod-do");
    });

    it("renders the configured Caddy ports, redirect suffix and ACME email", () => {
        const caddy = platformCommand(registered, "prod-do", "caddy").inputs.create as string;
        for (const line of ['Environment="MOKOWAAS_HTTP_PORT=8080"', 'Environment="MOKOWAAS_HTTPS_PORT=8443"', 'Environment="MOKOWAAS_HTTPS_SUFFIX=:8443"']) {
            expect(caddy).toContain(line);
        }
        expect(caddy).toContain("email ops@example.net\nMOKOWAAS_FILE_EOF\n");
        expect(caddy).toContain("MOKOWAAS_HTTP_PORT=8080 MOKOWAAS_HTTPS_PORT=8443");
    });

    it("keeps secrets on stdin and exports the droplet's addresses", async () => {
        await expectPlatformSecrets(registered, "prod-do", outputs, [mockPassword("prod-do-mysql-admin-password"), BORG, KEY]);
        expect(registered.some((r) => r.name === "prod-do-borg-passphrase" && r.type.startsWith("random:")), "an adopted passphrase is not generated").toBe(false);
        expectExportContract(outputs);
        expect(await valueOf(outputs.ipv4)).toBe("198.51.100.20");
        expect(await valueOf(outputs.ipv6)).toBe("2001:db8:d0::20");
        expect(await valueOf(outputs.mokowaas)).toBe("sudo env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas");
    });
});
