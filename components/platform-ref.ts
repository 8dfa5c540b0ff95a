/**
 * The contract between a platform stack and its tenant stacks: the outputs a platform exports
 * (infra/platform.ts writes them) and how a tenant stack reads them through a StackReference.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SshConnection } from "./server-command";

/** MySQL as seen from both sides. */
export interface PlatformMysql {
    /** host:port the control machine's mysql provider dials (the SSH tunnel's local end by default). */
    endpoint: string;
    /** The mysql provider's tls setting ("false", "skip-verify" or "true"). */
    tls: string;
    /** How the SERVER reaches MySQL (written into each tenant's registry entry). */
    serverHost: string;
    serverPort: number;
    /** Host part of tenant MySQL users: where the server's PHP connects from. */
    tenantUserHost: string;
}

/** The SSH tunnel a control machine opens to reach the server's loopback-only MySQL (null: none needed). */
export interface PlatformTunnel {
    localPort: number;
    remoteHost: string;
    remotePort: number;
}

/** Every output of a platform stack. `ssh`, `mysqlAdmin` and `borgPassphrase` are secrets. */
export interface PlatformExports {
    /** The platform's DNS name: target of every tenant CNAME. */
    hostname: string;
    ipv4: string;
    /** "" when the server has no IPv6. */
    ipv6: string;
    /** `hostKey` (`ssh-ed25519 AAAA...`) is the server's host key: every connection verifies it. */
    ssh: { host: string; port: number; user: string; privateKey: string; hostKey: string };
    mysql: PlatformMysql;
    tunnel: PlatformTunnel | null;
    mysqlAdmin: { username: string; password: string };
    /** The Borg repository's passphrase (repokey mode: with the repository it restores anywhere). */
    borgPassphrase: string;
    /** Command prefix that runs the server CLI, e.g. `sudo env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas`. */
    mokowaas: string;
    /** Joomla release new tenants get and the fleet was moved to. */
    joomlaVersion: string;
    /** Names of the extensions its releases offer tenants (mokowaas:extensions). */
    extensions: string[];
    /** The last fleet upgrade's summary (`mokowaas upgrade --all`): e.g. "upgrade to joomla-6.1.0: 3 upgraded in 41.2 s"; "" when none ran. */
    joomlaUpgrade: string;
}

/** A platform as a tenant stack uses it: plain facts known at preview, secrets as secret outputs. */
export interface PlatformRef {
    /** Stack name of the platform (the tenant YAML's `platform`). */
    name: string;
    hostname: string;
    ipv4: string;
    ipv6: string;
    ssh: pulumi.Output<SshConnection>;
    mysql: PlatformMysql;
    mysqlAdmin: pulumi.Output<{ username: string; password: string }>;
    mokowaas: string;
    /** Extensions the platform offers; undefined for a platform stack from before this output (the server still checks). */
    extensions?: string[];
}

/** The StackReference name of a platform, for the default (self-managed file) backend. */
export function platformStackName(platform: string, override?: string): string {
    return override ?? `organization/mokowaas/${platform}`;
}

/**
 * Reads a platform stack. Plain values are resolved now (so the tenant's resource graph, e.g. its
 * AAAA records, is known at preview); secrets stay secret outputs.
 */
export async function readPlatform(
    platform: string,
    opts: { stackName?: string; mysqlEndpoint?: string; parent?: pulumi.Resource } = {},
): Promise<PlatformRef> {
    const stackName = platformStackName(platform, opts.stackName);
    const ref = new pulumi.StackReference(`platform-${platform}`, { name: stackName }, { parent: opts.parent });
    const plain = async <T>(key: keyof PlatformExports): Promise<T> => {
        const details = await ref.getOutputDetails(key);
        const value: unknown = details.value ?? details.secretValue;
        if (value === undefined) {
            throw new Error(
                `platform stack "${stackName}" has no output "${key}": run \`pulumi up -s ${platform}\` first, ` +
                    `or set mokowaas:platformStack to the platform's full stack name`,
            );
        }
        return value as T;
    };
    const mysql = await plain<PlatformMysql>("mysql");
    // Without a host key @pulumi/command would connect to whatever answers: refuse such a platform.
    const ssh = await plain<Partial<PlatformExports["ssh"]>>("ssh");
    if (!ssh.hostKey) {
        throw new Error(
            `platform stack "${stackName}" exports no ssh.hostKey, so its server's identity cannot be verified: ` +
                `run \`pulumi up -s ${platform}\` first (an existing server needs mokowaas:ssh.hostKey, see docs/config.md)`,
        );
    }
    return {
        name: platform,
        hostname: await plain<string>("hostname"),
        ipv4: await plain<string>("ipv4"),
        ipv6: ((await ref.getOutputDetails("ipv6")).value as string | undefined) ?? "",
        ssh: pulumi.secret(ref.requireOutput("ssh")) as pulumi.Output<SshConnection>,
        mysql: { ...mysql, endpoint: opts.mysqlEndpoint ?? mysql.endpoint },
        mysqlAdmin: pulumi.secret(ref.requireOutput("mysqlAdmin")) as pulumi.Output<{ username: string; password: string }>,
        mokowaas: await plain<string>("mokowaas"),
        extensions: (await ref.getOutputDetails("extensions")).value as string[] | undefined,
    };
}

/**
 * The tenant's extensions the platform does not offer, as one message ("" when all are offered or
 * the platform predates the `extensions` output; `registry put` checks on the server as well).
 */
export function unofferedExtensions(wanted: string[], platform: Pick<PlatformRef, "name" | "extensions">): string {
    if (platform.extensions === undefined) return "";
    const missing = wanted.filter((name) => !platform.extensions!.includes(name));
    if (missing.length === 0) return "";
    const offered = platform.extensions.length > 0 ? platform.extensions.join(", ") : "none";
    return `extensions: ${missing.map((n) => `"${n}"`).join(", ")} not offered by platform ${platform.name} (it offers ${offered}; add packages to its stack's mokowaas:extensions, see docs/extensions.md)`;
}
