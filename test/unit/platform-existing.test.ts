/** Platform stack "local" from Pulumi.local.yaml: an existing server (this machine), under mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { parsePlatformConfig } from "../../infra/config";
import { fakePrivateKey, HOST_KEY } from "./helpers/platform-fixture";
import { COMMAND, expectExportContract, expectHostKeyPinned, expectPlatformSecrets, expectSetupOrder, platformCommand } from "./helpers/platform-checks";
import { installMocks, mockPassword, settle, valueOf } from "./helpers/pulumi-mocks";
import { stackConfig } from "./helpers/stack-config";

const KEY = fakePrivateKey("localkeyfortestsonly");
/** Pulumi.local.yaml leaves the host key to `npm run local` (its sshd's key); here a fixed one. */
const SSH = { ...(JSON.parse(stackConfig("local")["mokowaas:ssh"]) as Record<string, unknown>), hostKey: HOST_KEY };
const registered = installMocks({
    stack: "local",
    config: { ...stackConfig("local", { "mokowaas:ssh": SSH }), "mokowaas:sshPrivateKey": KEY },
    secretKeys: ["mokowaas:sshPrivateKey"],
});
let outputs: Record<string, any>;
/** Which services Pulumi.local.yaml has the platform install (mokowaas:<service>.install, default true). */
const installs = (key: string) => (JSON.parse(stackConfig("local")[`mokowaas:${key}`] ?? "{}") as { install?: boolean }).install ?? true;
const SERVICES = { phpFpm: installs("phpFpm"), caddy: installs("caddy"), timers: installs("timers") };
const PREFIX = "env MOKOWAAS_ROOT=/tmp/mokowaas-local/root php /tmp/mokowaas-local/opt/runtime/bin/mokowaas";

beforeAll(async () => {
    const program = (await import("../../index")).default;
    outputs = await program();
    await settle();
});

describe("platform local on an existing server", () => {
    it("creates no cloud resources, only the setup commands (services as Pulumi.local.yaml asks)", () => {
        expect(registered.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
            `${COMMAND} local-borg-passphrase`,
            ...(SERVICES.caddy ? [`${COMMAND} local-caddy`] : []),
            `${COMMAND} local-joomla-release`,
            `${COMMAND} local-mysql-admin`,
            ...(SERVICES.phpFpm ? [`${COMMAND} local-php-fpm`] : []),
            `${COMMAND} local-platform-init`,
            `${COMMAND} local-ready`,
            `${COMMAND} local-runtime-install`,
            `${COMMAND} local-runtime-stage`,
            ...(SERVICES.timers ? [`${COMMAND} local-timers`] : []),
            "command:remote:CopyToRemote local-runtime-copy",
            "mokowaas:index:Platform local",
            "random:index/randomPassword:RandomPassword local-borg-passphrase",
            "random:index/randomPassword:RandomPassword local-mysql-admin-password",
        ]);
    });

    it("connects over the configured SSH port and uses the configured paths, PHP and MySQL client", () => {
        expect(platformCommand(registered, "local", "ready").inputs.connection).toMatchObject({ host: "127.0.0.1", port: 2222, user: "root", privateKey: KEY });
        expect(platformCommand(registered, "local", "ready").inputs.create).toContain("php -r 'exit(PHP_VERSION_ID >= 80300 ? 0 : 1);'");
        expect(platformCommand(registered, "local", "mysql-admin").inputs.create).toContain(
            "| mysql --protocol=socket --socket=/tmp/mokowaas-local/mysql/mysqld.sock --user=root",
        );
        expect(platformCommand(registered, "local", "platform-init").inputs.create).toBe(
            `${PREFIX} platform init --mysql-host 127.0.0.1 --mysql-port 33306 --mysql-user mokowaas_admin --php-user www-data` +
                " --fpm-binary /usr/sbin/php-fpm8.4 --fpm-config /tmp/mokowaas-local/fpm/php-fpm.conf --fpm-pid-file /tmp/mokowaas-local/fpm/php-fpm.pid" +
                " --fpm-socket-dir /tmp/mokowaas-local/root/run/php --web-group root --no-cert-cap",
        );
        expect(platformCommand(registered, "local", "runtime-copy").inputs.remotePath).toBe("/tmp/mokowaas-local/opt/staging");
        expect(platformCommand(registered, "local", "joomla-release").inputs.create).toContain("/tmp/mokowaas-local/root/srv/mokowaas/current");
        expect(platformCommand(registered, "local", "borg-passphrase").inputs.create).toContain("/tmp/mokowaas-local/root/etc/mokowaas/borg.passphrase");
        expectSetupOrder(registered, "local", SERVICES);
    });

    it("verifies the configured host key in every connection, and refuses to run without one", async () => {
        await expectHostKeyPinned(registered, outputs, HOST_KEY);
        const raw = Object.fromEntries(Object.entries(stackConfig("local")).map(([k, v]) => [k.slice("mokowaas:".length), v.startsWith("{") ? JSON.parse(v) : v]));
        expect(() => parsePlatformConfig("local", raw)).toThrow(
            "mokowaas:ssh.hostKey: is required for an existing server: every SSH connection verifies it. Read it with `ssh-keyscan -t ed25519 -p 2222 127.0.0.1`",
        );
    });

    it("keeps secrets on stdin", async () => {
        await expectPlatformSecrets(registered, "local", outputs, [mockPassword("local-mysql-admin-password"), mockPassword("local-borg-passphrase"), KEY]);
    });

    it("exports a direct MySQL endpoint and no tunnel (the control machine is the server)", async () => {
        expectExportContract(outputs);
        expect(await valueOf(outputs.mysql)).toEqual({ endpoint: "127.0.0.1:33306", tls: "false", serverHost: "127.0.0.1", serverPort: 33306, tenantUserHost: "127.0.0.1" });
        expect(await valueOf(outputs.tunnel)).toBeNull();
        expect(await valueOf(outputs.ipv4)).toBe("127.0.0.1");
        expect(await valueOf(outputs.ipv6)).toBe("");
        expect(await valueOf(outputs.mokowaas)).toBe(PREFIX);
    });
});
