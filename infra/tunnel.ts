/**
 * The SSH tunnel to a platform's loopback-only MySQL (DESIGN.md "Stacks"), as a plan: the ssh
 * arguments that forward the platform's `tunnel.localPort` on this machine to MySQL on the server.
 * scripts/tunnel.ts runs it; the fleet command holds one open per platform. The server's host key
 * is always pinned (DESIGN.md "Security rules"): a platform that exports none gets no tunnel.
 */
import type { PlatformExports } from "../components/platform-ref";

export interface TunnelPlan {
    /** Arguments of `ssh`. */
    args: string[];
    localPort: number;
    /** Where the tunnel leads, for messages (no secret). */
    target: string;
}

/** A platform stack written before host keys were exported (or edited by hand) has no key to pin. */
export class MissingHostKeyError extends Error {
    constructor(ssh: Pick<PlatformExports["ssh"], "host" | "port">) {
        super(
            `the platform exports no SSH host key for ${ssh.host}:${ssh.port}, so its identity cannot be verified: ` +
                "run `pulumi up` of the platform stack (it exports ssh.hostKey; an existing server needs mokowaas:ssh.hostKey, see docs/config.md)",
        );
        this.name = "MissingHostKeyError";
    }
}

/**
 * The ssh invocation for a platform's outputs, or null when the platform needs no tunnel.
 * `keyFile` holds the private key; `knownHostsFile` holds `knownHostsLine(outputs.ssh)`, the only
 * key ssh accepts (StrictHostKeyChecking=yes: never learned on first use, never the user's files).
 */
export function tunnelPlan(outputs: Pick<PlatformExports, "ssh" | "tunnel">, keyFile: string, knownHostsFile?: string): TunnelPlan | null {
    const t = outputs.tunnel;
    if (!t) return null;
    const s = outputs.ssh;
    if (!s.hostKey || !knownHostsFile) throw new MissingHostKeyError(s);
    return {
        args: [
            "-N",
            "-L", `127.0.0.1:${t.localPort}:${t.remoteHost}:${t.remotePort}`,
            "-p", String(s.port),
            "-i", keyFile,
            "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes",
            "-o", "ExitOnForwardFailure=yes",
            "-o", "ServerAliveInterval=30",
            "-o", "StrictHostKeyChecking=yes",
            "-o", `UserKnownHostsFile=${knownHostsFile}`,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "UpdateHostKeys=no",
            `${s.user}@${s.host}`,
        ],
        localPort: t.localPort,
        target: `${s.user}@${s.host}:${s.port} -> ${t.remoteHost}:${t.remotePort}`,
    };
}

/** known_hosts line for the platform's host key (port other than 22 in brackets). */
export function knownHostsLine(ssh: PlatformExports["ssh"]): string {
    if (!ssh.hostKey) throw new MissingHostKeyError(ssh);
    return `${ssh.port === 22 ? ssh.host : `[${ssh.host}]:${ssh.port}`} ${ssh.hostKey}`;
}
