/** Platform stack "prod" from Pulumi.prod.yaml itself: a Hetzner server and its setup, under mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { fakePrivateKey } from "./helpers/platform-fixture";
import { cloudInit } from "../../infra/cloud-init";
import { ed25519HostKey } from "../../infra/host-key";
import { COMMAND, expectExportContract, expectHostKeyPinned, expectPlatformSecrets, expectSetupOrder, platformCommand } from "./helpers/platform-checks";
import { installMocks, mockBytes, mockPassword, one, settle, valueOf } from "./helpers/pulumi-mocks";
import { stackConfig } from "./helpers/stack-config";

const KEY = fakePrivateKey("prodkeyfortestsonly");
const registered = installMocks({ stack: "prod", config: { ...stackConfig("prod"), "mokowaas:sshPrivateKey": KEY }, secretKeys: ["mokowaas:sshPrivateKey"] });
let outputs: Record<string, any>;
const ADMIN = mockPassword("prod-mysql-admin-password");
/** The host key the stack derives from its RandomBytes (mocked: bytes from the resource name). */
const HOST = ed25519HostKey(mockBytes("prod-ssh-host-key"));

beforeAll(async () => {
    const program = (await import("../../index")).default;
    outputs = await program();
    await settle();
});

describe("platform prod on Hetzner", () => {
    it("declares the server, its firewall and key under real names, and the setup commands", () => {
        expect(registered.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
            `${COMMAND} prod-borg-passphrase`,
            `${COMMAND} prod-caddy`,
            `${COMMAND} prod-joomla-release`,
            `${COMMAND} prod-mysql-admin`,
            `${COMMAND} prod-php-fpm`,
            `${COMMAND} prod-platform-init`,
            `${COMMAND} prod-ready`,
            `${COMMAND} prod-runtime-install`,
            `${COMMAND} prod-runtime-stage`,
            `${COMMAND} prod-timers`,
            "command:remote:CopyToRemote prod-runtime-copy",
            "hcloud:index/firewall:Firewall mokowaas-prod",
            "hcloud:index/server:Server mokowaas-prod",
            "hcloud:index/sshKey:SshKey mokowaas-prod",
            "mokowaas:index:Platform prod",
            "random:index/randomBytes:RandomBytes prod-ssh-host-key",
            "random:index/randomPassword:RandomPassword prod-borg-passphrase",
            "random:index/randomPassword:RandomPassword prod-mysql-admin-password",
        ]);
    });

    it("creates an Ubuntu 24.04 server with the firewall, key and cloud-init, protected and never rebuilt by a key or user-data change", () => {
        const server = one(registered, "hcloud:index/server:Server", "mokowaas-prod");
        expect(server.inputs).toMatchObject({
            name: "mokowaas-prod", serverType: "cx23", image: "ubuntu-24.04", location: "fsn1",
            firewallIds: [815], sshKeys: ["mokowaas-prod-id"], publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
            deleteProtection: true, rebuildProtection: true,
            userData: cloudInit({ hostname: "prod.mokowaas.example.net", hostKey: HOST }),
        });
        expect(server.secretInputs).toContain("userData");
        expect(server.ignoreChanges.sort()).toEqual(["sshKeys", "userData"]);
        expect(server.protect).toBe(true);
        expect(one(registered, "hcloud:index/sshKey:SshKey", "mokowaas-prod").inputs.publicKey).toMatch(/^ssh-ed25519 /);
    });

    it("must not open SSH or MySQL to the internet; web ports are open to all", () => {
        const rules = one(registered, "hcloud:index/firewall:Firewall", "mokowaas-prod").inputs.rules as { port: string; sourceIps: string[]; direction: string }[];
        expect(rules.map((r) => [r.direction, r.port, r.sourceIps])).toEqual([
            ["in", "80", ["0.0.0.0/0", "::/0"]],
            ["in", "443", ["0.0.0.0/0", "::/0"]],
            ["in", "22", ["203.0.113.0/24"]],
            ["in", "3306", ["203.0.113.0/24"]],
        ]);
    });

    it("waits for cloud-init, then sets the platform up in order, each step rerun on a new server", () => {
        expect(platformCommand(registered, "prod", "ready").inputs.create).toContain("cloud-init status --wait");
        expectSetupOrder(registered, "prod");
        for (const s of ["ready", "mysql-admin", "runtime-stage", "runtime-copy", "runtime-install", "platform-init", "borg-passphrase", "joomla-release", "php-fpm", "caddy", "timers"]) {
            expect({ [s]: (platformCommand(registered, "prod", s).inputs.triggers as unknown[])[0] }).toEqual({ [s]: "4711" });
        }
        expect(platformCommand(registered, "prod", "runtime-copy").inputs.remotePath).toBe("/opt/mokowaas/staging");
    });

    it("initializes the server CLI with the admin account and installs the pinned Joomla release", () => {
        expect(platformCommand(registered, "prod", "platform-init").inputs.create).toBe(
            "env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas platform init --mysql-host 127.0.0.1 --mysql-port 3306 --mysql-user mokowaas_admin --php-user www-data" +
                " --fpm-binary /usr/sbin/php-fpm8.3 --fpm-config /etc/php/8.3/fpm/php-fpm.conf --fpm-pid-file /run/php/php8.3-fpm.pid --fpm-socket-dir /run/php --web-group caddy" +
                " --drill-max-age-hours 192 --cert-new-per-3h 100 --cert-new-per-domain-week 40",
        );
        const joomla = platformCommand(registered, "prod", "joomla-release").inputs.create as string;
        expect(joomla).toContain("curl -fsSL --retry 3 -o \"$tmp/package\" https://github.com/joomla/joomla-cms/releases/download/6.0.4/Joomla_6.0.4-Stable-Full_Package.tar.zst");
        expect(joomla).toContain("| sha512sum -c --status -");
        expect(joomla).toContain("/srv/mokowaas/releases/joomla-6.0.4");
    });

    it("keeps the admin password and SSH key out of commands and user data; secret outputs are secret", async () => {
        await expectPlatformSecrets(registered, "prod", outputs, [ADMIN, mockPassword("prod-borg-passphrase"), KEY]);
    });

    it("installs a host key generated by the stack through cloud-init and pins it in every connection", async () => {
        const seed = one(registered, "random:index/randomBytes:RandomBytes", "prod-ssh-host-key");
        expect(seed.inputs.length).toBe(32);
        const userData = one(registered, "hcloud:index/server:Server", "mokowaas-prod").inputs.userData as string;
        expect(userData).toContain("ssh_deletekeys: true");
        expect(userData).toContain(`ed25519_public: ${HOST.publicKey}`);
        await expectHostKeyPinned(registered, outputs, HOST.publicKey, HOST.privateKey);
    });

    it("writes the Borg passphrase to its root-only file, from stdin", () => {
        const create = platformCommand(registered, "prod", "borg-passphrase").inputs.create as string;
        expect(create).toContain("pp=$(cat)");
        expect(create).toContain("umask 077; cat > /etc/mokowaas/borg.passphrase.new");
        expect(create).toContain("chmod 600 /etc/mokowaas/borg.passphrase");
    });

    it("installs the Caddyfile with the default ports and the ask endpoint, and the pool for PHP 8.3", () => {
        const caddy = platformCommand(registered, "prod", "caddy").inputs.create as string;
        for (const line of [
            'Environment="MOKOWAAS_HTTP_PORT=80"', 'Environment="MOKOWAAS_HTTPS_PORT=443"', 'Environment="MOKOWAAS_ASK_PORT=5555"',
            'Environment="MOKOWAAS_ROOT="', 'Environment="MOKOWAAS_PHP_FPM=unix//run/php/mokowaas-fpm.sock"', 'Environment="MOKOWAAS_CERT_ISSUER=acme"',
        ]) expect(caddy).toContain(line);
        expect(caddy).toContain("install -m 0644 \"$work/0\" /etc/caddy/Caddyfile.mokowaas-new");
        expect(caddy).toContain("/etc/systemd/system/caddy.service.d/mokowaas.conf");
        expect(caddy).toContain("on_demand_tls {");
        expect(caddy).toContain("email ops@example.net\nMOKOWAAS_FILE_EOF");
        const fpm = platformCommand(registered, "prod", "php-fpm").inputs.create as string;
        expect(fpm).toContain("/etc/php/8.3/fpm/pool.d/mokowaas.conf");
        expect(fpm).toContain("/etc/php/8.3/fpm/conf.d/90-mokowaas.ini");
        expect(fpm).toContain("env[MOKOWAAS_ROOT] = /\n");
        expect(fpm).toContain("php-fpm8.3 -t -y /etc/php/8.3/fpm/php-fpm.conf");
        expect(fpm).toContain("systemctl reload php8.3-fpm");
    });

    it("installs the timers running the configured CLI", () => {
        const timers = platformCommand(registered, "prod", "timers").inputs.create as string;
        expect(timers).toContain("ExecStart=php /opt/mokowaas/runtime/bin/mokowaas backup --all");
        expect(timers).toContain("ExecStart=php /opt/mokowaas/runtime/bin/mokowaas prune --all");
        expect(timers).toContain("ExecStart=php /opt/mokowaas/runtime/bin/mokowaas health --prometheus");
        expect(timers).toContain("ExecStart=php /opt/mokowaas/runtime/bin/mokowaas drill\n");
        expect(timers).toContain("systemctl enable --now --quiet mokowaas-backup.timer mokowaas-drill.timer mokowaas-health.timer");
    });

    it("exports what tenant stacks read", async () => {
        expectExportContract(outputs);
        expect(await valueOf(outputs.hostname)).toBe("prod.mokowaas.example.net");
        expect(await valueOf(outputs.ipv4)).toBe("203.0.113.10");
        expect(await valueOf(outputs.ipv6)).toBe("2001:db8::1");
        expect(await valueOf(outputs.ssh)).toEqual({ host: "203.0.113.10", port: 22, user: "root", privateKey: KEY, hostKey: HOST.publicKey });
        expect(await valueOf(outputs.mysqlAdmin)).toEqual({ username: "mokowaas_admin", password: ADMIN });
        expect(await valueOf(outputs.mysql)).toEqual({ endpoint: "127.0.0.1:13306", tls: "false", serverHost: "127.0.0.1", serverPort: 3306, tenantUserHost: "127.0.0.1" });
        expect(await valueOf(outputs.tunnel)).toEqual({ localPort: 13306, remoteHost: "127.0.0.1", remotePort: 3306 });
        expect(await valueOf(outputs.mokowaas)).toBe("env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas");
        expect(await valueOf(outputs.joomlaVersion)).toBe("6.0.4");
    });
});
