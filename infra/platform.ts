/**
 * One platform: its server (hetzner, digitalocean or existing), the MySQL admin account for
 * tenant stacks, the runtime (data plane) and the pinned Joomla release, in that order. Its
 * outputs (components/platform-ref.ts) are what every tenant stack on it reads.
 */
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformExports } from "../components/platform-ref";
import { type SshConnection, serverCommand } from "../components/server-command";
import { cloudInit } from "./cloud-init";
import type { PlatformConfig, PlatformSettings } from "./config";
import { hashFolder } from "./hash-folder";
import {
    borgPassphraseScript, joomlaReleaseScript, mokowaasPrefix, mysqlAdminCreateScript, mysqlAdminDeleteScript, platformInitCommand,
    readyScript, runtimePaths, runtimeInstallScript, runtimeStageScript,
} from "./server-scripts";
import { type ServerHandle, digitaloceanServer, existingServer, hetznerServer } from "./servers";
import { timersInstallScript } from "./timers";
import { caddyInstallScript, phpFpmInstallScript } from "./web-server";

/** The data plane shipped to every server. */
export const RUNTIME_DIR = path.join(__dirname, "..", "runtime");

type Outputs = { [K in keyof PlatformExports]: pulumi.Input<PlatformExports[K]> };

export class Platform extends pulumi.ComponentResource {
    readonly outputs: Outputs;

    constructor(name: string, args: PlatformSettings, opts: pulumi.ComponentResourceOptions = {}) {
        super("mokowaas:index:Platform", name, {}, opts);
        const c = args.config;
        const child = (suffix: string) => `${name}-${suffix}`;

        const server = this.createServer(`mokowaas-${name}`, c);
        const connection: pulumi.Output<SshConnection> = pulumi.secret(
            pulumi.all([server.sshHost, args.privateKey]).apply(([host, privateKey]) => ({
                host,
                port: c.ssh.port,
                user: c.ssh.user,
                privateKey,
                ...(c.ssh.hostKey ? { hostKey: c.ssh.hostKey } : {}),
                dialErrorLimit: 30,
            })),
        );
        // Every setup command reruns on a new machine.
        const cmd = (suffix: string, a: Omit<Parameters<typeof serverCommand>[1], "connection">, dependsOn: pulumi.Resource[]) =>
            serverCommand(child(suffix), { ...a, connection, triggers: [server.id, ...(a.triggers ?? [])] }, { parent: this, dependsOn });

        const ready = cmd("ready", { create: readyScript(c) }, []);
        const adminPassword = new random.RandomPassword(child("mysql-admin-password"), { length: 32, special: false }, { parent: this });
        const mysqlAdmin = cmd(
            "mysql-admin",
            { create: mysqlAdminCreateScript(c), delete: mysqlAdminDeleteScript(c), stdin: adminPassword.result, triggers: [c.mysql.adminUser] },
            [ready],
        );
        const runtime = this.installRuntime(child, c, connection, server, ready);
        const init = cmd(
            "platform-init",
            { create: platformInitCommand(c), stdin: adminPassword.result },
            [mysqlAdmin, runtime],
        );
        // The Borg repository's passphrase: generated unless adopted from config, exported (secret)
        // so the archives can be restored elsewhere. `backup` creates the repository on first use.
        const borgPassphrase = args.borgPassphrase
            ? pulumi.secret(args.borgPassphrase)
            : new random.RandomPassword(child("borg-passphrase"), { length: 40, special: false }, { parent: this }).result;
        const passphrase = cmd("borg-passphrase", { create: borgPassphraseScript(c), stdin: borgPassphrase }, [init]);
        const joomla = cmd(
            "joomla-release",
            { create: joomlaReleaseScript(c), triggers: [c.joomla.version, c.joomla.url, c.joomla.sha256 ?? c.joomla.sha512 ?? "", hashFolder(RUNTIME_DIR)] },
            [init, passphrase],
        );
        // Served once the release is in place: the pool, then Caddy in front of it; then the timers.
        const phpFpm = c.phpFpm.install ? cmd("php-fpm", { create: phpFpmInstallScript(c) }, [joomla]) : undefined;
        const caddy = c.caddy.install ? cmd("caddy", { create: caddyInstallScript(c) }, [joomla, ...(phpFpm ? [phpFpm] : [])]) : undefined;
        const timers = c.timers.install ? cmd("timers", { create: timersInstallScript(c) }, [joomla, passphrase]) : undefined;
        const services = [joomla, phpFpm, caddy, timers].filter((r): r is command.remote.Command => r !== undefined);

        this.outputs = {
            hostname: c.hostname,
            ipv4: server.ipv4,
            ipv6: server.ipv6,
            ssh: connection.apply((conn) => ({ host: conn.host as string, port: c.ssh.port, user: c.ssh.user, privateKey: conn.privateKey as string, ...(c.ssh.hostKey ? { hostKey: c.ssh.hostKey } : {}) })),
            mysql: {
                endpoint: c.mysql.tunnelPort === null ? `${c.mysql.serverHost}:${c.mysql.serverPort}` : `127.0.0.1:${c.mysql.tunnelPort}`,
                tls: c.mysql.tls,
                serverHost: c.mysql.serverHost,
                serverPort: c.mysql.serverPort,
                tenantUserHost: c.mysql.tenantUserHost,
            },
            tunnel: c.mysql.tunnelPort === null ? null : { localPort: c.mysql.tunnelPort, remoteHost: c.mysql.serverHost, remotePort: c.mysql.serverPort },
            mysqlAdmin: pulumi.secret(adminPassword.result.apply((password) => ({ username: c.mysql.adminUser, password }))),
            borgPassphrase: pulumi.secret(borgPassphrase),
            // Tenants use the platform only once its release and services are in place.
            mokowaas: pulumi.all(services.map((r) => r.id)).apply(() => mokowaasPrefix(c)),
            joomlaVersion: c.joomla.version,
        };
        this.registerOutputs(this.outputs);
    }

    private createServer(serverName: string, c: PlatformConfig): ServerHandle {
        const opts = { parent: this };
        const userData = cloudInit({ hostname: c.hostname });
        switch (c.server.provider) {
            case "hetzner":
                return hetznerServer(serverName, { ...c, server: c.server }, userData, c.ssh.publicKey!, opts);
            case "digitalocean":
                return digitaloceanServer(serverName, { ...c, server: c.server }, userData, c.ssh.publicKey!, opts);
            case "existing":
                return existingServer({ ...c, server: c.server });
        }
    }

    /**
     * Copies runtime/ to a staging folder, then swaps it in. The three steps rerun together, on a
     * new server, when a runtime file changes, or when the install script itself changes (its
     * paths or environment): the install consumes the staging copy, so it never reruns alone.
     */
    private installRuntime(child: (s: string) => string, c: PlatformConfig, connection: pulumi.Output<SshConnection>, server: ServerHandle, ready: pulumi.Resource) {
        const hash = hashFolder(RUNTIME_DIR);
        const triggers = [server.id, hash, runtimeInstallScript(c)];
        const stage = serverCommand(child("runtime-stage"), { connection, create: runtimeStageScript(c), triggers }, { parent: this, dependsOn: [ready] });
        const copy = new command.remote.CopyToRemote(
            child("runtime-copy"),
            { connection, source: new pulumi.asset.FileArchive(RUNTIME_DIR), remotePath: runtimePaths(c).staging, triggers },
            { parent: this, dependsOn: [stage] },
        );
        return serverCommand(child("runtime-install"), { connection, create: runtimeInstallScript(c), triggers }, { parent: this, dependsOn: [copy] });
    }
}
