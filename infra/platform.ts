/**
 * One platform: its server (hetzner, digitalocean or existing), then its steps in order (one file
 * each in infra/steps/: the MySQL admin account for tenant stacks, the runtime (data plane), the
 * off-site Borg key (when the repository is on a backup host), the server CLI's config, the Borg
 * passphrase, the pinned Joomla release, PHP-FPM, Caddy, timers). Its outputs (components/platform-ref.ts) are what every tenant stack on it reads.
 */
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformExports } from "../components/platform-ref";
import { type SshConnection, serverCommand } from "../components/server-command";
import { cloudInit } from "./cloud-init";
import type { PlatformConfig, PlatformSettings } from "./config";
import { type HostKeyPair, ed25519HostKey } from "./host-key";
import { mokowaasPrefix } from "./server-paths";
import { type ServerHandle, digitaloceanServer, existingServer, hetznerServer } from "./servers";
import { borgPassphraseStep } from "./steps/borg-passphrase";
import { borgSshKeyStep } from "./steps/borg-ssh-key";
import { caddyStep } from "./steps/caddy";
import { fleetUpgradeSummary, joomlaReleaseStep } from "./steps/joomla-release";
import { mysqlAdminStep } from "./steps/mysql-admin";
import { phpFpmStep } from "./steps/php-fpm";
import { platformInitStep } from "./steps/platform-init";
import { readyStep } from "./steps/ready";
import { runtimeStep } from "./steps/runtime";
import type { PlatformServer } from "./steps/server";
import { timersStep } from "./steps/timers";

type Outputs = { [K in keyof PlatformExports]: pulumi.Input<PlatformExports[K]> };

export class Platform extends pulumi.ComponentResource {
    readonly outputs: Outputs;

    constructor(name: string, args: PlatformSettings, opts: pulumi.ComponentResourceOptions = {}) {
        super("mokowaas:index:Platform", name, {}, opts);
        const c = args.config;
        const child = (suffix: string) => `${name}-${suffix}`;

        const mine = { parent: this };
        const { server, hostKey } = this.createServer(`mokowaas-${name}`, c, child("ssh-host-key"));
        // Every command and copy verifies the host key (without one @pulumi/command checks nothing).
        const connection: pulumi.Output<SshConnection> = pulumi.secret(
            pulumi.all([server.sshHost, args.privateKey, hostKey]).apply(([host, privateKey, key]) => ({
                host,
                port: c.ssh.port,
                user: c.ssh.user,
                privateKey,
                hostKey: key,
                dialErrorLimit: 30,
            })),
        );
        const steps: PlatformServer = {
            config: c,
            connection,
            serverId: server.id,
            opts: mine,
            name: child,
            run: (step, a, dependsOn) => serverCommand(child(step), { ...a, connection, triggers: [server.id, ...(a.triggers ?? [])] }, { ...mine, dependsOn }),
        };

        // The steps, in order (each file in infra/steps/ holds its script and this resource).
        const ready = readyStep(steps);
        const adminPassword = new random.RandomPassword(child("mysql-admin-password"), { length: 32, special: false }, mine);
        const mysqlAdmin = mysqlAdminStep(steps, adminPassword.result, [ready]);
        const runtime = runtimeStep(steps, [ready]);
        // An off-site repository's key is in place before `platform init` names it.
        const borgKey = args.borgSshPrivateKey ? [borgSshKeyStep(steps, args.borgSshPrivateKey, [ready])] : [];
        const init = platformInitStep(steps, adminPassword.result, [mysqlAdmin, runtime, ...borgKey]);
        // The Borg repository's passphrase: generated unless adopted from config, exported (secret)
        // so the archives can be restored elsewhere. `backup` creates the repository on first use.
        const borgPassphrase = args.borgPassphrase
            ? pulumi.secret(args.borgPassphrase)
            : new random.RandomPassword(child("borg-passphrase"), { length: 40, special: false }, mine).result;
        const passphrase = borgPassphraseStep(steps, borgPassphrase, [init]);
        const joomla = joomlaReleaseStep(steps, [init, passphrase]);
        // Served once the release is in place: the pools, then Caddy in front of them; then the timers.
        const phpFpm = c.phpFpm.install ? phpFpmStep(steps, [joomla]) : undefined;
        const caddy = c.caddy.install ? caddyStep(steps, [joomla, ...(phpFpm ? [phpFpm] : [])]) : undefined;
        const timers = c.timers.install ? timersStep(steps, [joomla, passphrase]) : undefined;
        const services = [joomla, phpFpm, caddy, timers].filter((r): r is command.remote.Command => r !== undefined);

        this.outputs = {
            hostname: c.hostname,
            ipv4: server.ipv4,
            ipv6: server.ipv6,
            ssh: connection.apply((conn) => ({ host: conn.host as string, port: c.ssh.port, user: c.ssh.user, privateKey: conn.privateKey as string, hostKey: conn.hostKey as string })),
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
            extensions: c.extensions.map((e) => e.name),
            joomlaUpgrade: joomla.stdout.apply((out) => fleetUpgradeSummary(out ?? "")),
        };
        this.registerOutputs(this.outputs);
    }

    /**
     * The server and the host public key every connection pins. A new cloud server gets a key
     * pair from the stack (infra/host-key.ts: 32 random bytes, secret in state), installed by
     * cloud-init; an existing server's key comes from config (required there). A configured key
     * also wins on a cloud server: it adopts one created before the stack generated keys.
     */
    private createServer(serverName: string, c: PlatformConfig, keyName: string): { server: ServerHandle; hostKey: pulumi.Output<string> } {
        const opts = { parent: this };
        if (c.server.provider === "existing") return { server: existingServer({ ...c, server: c.server }), hostKey: pulumi.output(c.ssh.hostKey!) };
        const seed = new random.RandomBytes(keyName, { length: 32 }, opts);
        const pair: pulumi.Output<HostKeyPair> = pulumi.secret(seed.base64.apply((b64) => ed25519HostKey(Buffer.from(b64, "base64"))));
        // Secret as a whole: it carries the host's private key.
        const userData = pulumi.secret(pair.apply((hostKey) => cloudInit({ hostname: c.hostname, hostKey })));
        const hostKey = c.ssh.hostKey ? pulumi.output(c.ssh.hostKey) : pulumi.unsecret(pair.apply((k) => k.publicKey));
        const server = c.server.provider === "hetzner"
            ? hetznerServer(serverName, { ...c, server: c.server }, userData, c.ssh.publicKey!, opts)
            : digitaloceanServer(serverName, { ...c, server: c.server }, userData, c.ssh.publicKey!, opts);
        return { server, hostKey };
    }
}
