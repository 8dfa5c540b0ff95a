/**
 * The SSH tunnel to a platform's loopback-only MySQL (DESIGN.md "Stacks"), as a plan: the ssh
 * arguments that forward the platform's `tunnel.localPort` on this machine to MySQL on the server.
 * scripts/tunnel.ts runs it; the fleet command holds one open per platform.
 */
import type { PlatformExports } from "../components/platform-ref";

export interface TunnelPlan {
    /** Arguments of `ssh`. */
    args: string[];
    localPort: number;
    /** Where the tunnel leads, for messages (no secret). */
    target: string;
}

/**
 * The ssh invocation for a platform's outputs, or null when the platform needs no tunnel.
 * `keyFile` holds the private key; with the platform's host key, `knownHostsFile` pins it.
 */
export function tunnelPlan(outputs: Pick<PlatformExports, "ssh" | "tunnel">, keyFile: string, knownHostsFile?: string): TunnelPlan | null {
    const t = outputs.tunnel;
    if (!t) return null;
    const s = outputs.ssh;
    const hostCheck = knownHostsFile
        ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHostsFile}`]
        : ["-o", "StrictHostKeyChecking=accept-new"];
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
            ...hostCheck,
            `${s.user}@${s.host}`,
        ],
        localPort: t.localPort,
        target: `${s.user}@${s.host}:${s.port} -> ${t.remoteHost}:${t.remotePort}`,
    };
}

/** known_hosts line for the platform's host key (port other than 22 in brackets). */
export function knownHostsLine(ssh: PlatformExports["ssh"]): string | undefined {
    if (!ssh.hostKey) return undefined;
    return `${ssh.port === 22 ? ssh.host : `[${ssh.host}]:${ssh.port}`} ${ssh.hostKey}`;
}
