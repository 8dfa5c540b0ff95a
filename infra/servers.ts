/**
 * The platform's server, per provider. Each returns the same handle, so the rest of the platform
 * does not care where the server runs. Names are real (no random suffix): `mokowaas-<stack>`.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";

export interface ServerHandle {
    /** Changes when the machine is replaced: commands that set it up list it in their triggers. */
    id: pulumi.Output<string>;
    /** Where SSH connects. */
    sshHost: pulumi.Output<string>;
    ipv4: pulumi.Output<string>;
    /** "" when none. */
    ipv6: pulumi.Output<string>;
}

type Opts = { parent?: pulumi.Resource };

/** Inbound rules of the platform: Caddy's ports for everyone, SSH and MySQL for the admins only. */
export function inboundRules(c: PlatformConfig): { port: string; sources: string[]; description: string }[] {
    const everyone = ["0.0.0.0/0", "::/0"];
    return [
        { port: String(c.caddy.httpPort), sources: everyone, description: "HTTP (ACME and redirect to HTTPS)" },
        { port: String(c.caddy.httpsPort), sources: everyone, description: "HTTPS" },
        { port: String(c.ssh.port), sources: c.adminCidrs, description: "SSH (admins only)" },
        { port: "3306", sources: c.adminCidrs, description: "MySQL (admins only; MySQL itself listens on loopback)" },
    ];
}

export function hetznerServer(name: string, c: PlatformConfig & { server: { provider: "hetzner" } }, userData: pulumi.Input<string>, publicKey: string, opts: Opts): ServerHandle {
    const s = c.server;
    const key = new hcloud.SshKey(name, { name, publicKey }, opts);
    const firewall = new hcloud.Firewall(
        name,
        {
            name,
            rules: inboundRules(c).map((r) => ({ direction: "in", protocol: "tcp", port: r.port, sourceIps: r.sources, description: r.description })),
        },
        opts,
    );
    const server = new hcloud.Server(
        name,
        {
            name,
            serverType: s.serverType,
            image: s.image,
            location: s.location,
            sshKeys: [key.id],
            userData,
            firewallIds: [firewall.id.apply(Number)],
            publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
            labels: { app: "mokowaas", platform: pulumi.getStack() },
            deleteProtection: s.protect,
            rebuildProtection: s.protect,
        },
        // New keys or user data would rebuild the machine with every tenant on it.
        { ...opts, protect: s.protect, ignoreChanges: ["sshKeys", "userData"] },
    );
    return { id: server.id, sshHost: server.ipv4Address, ipv4: server.ipv4Address, ipv6: server.ipv6Address.apply((a) => a ?? "") };
}

export function digitaloceanServer(name: string, c: PlatformConfig & { server: { provider: "digitalocean" } }, userData: pulumi.Input<string>, publicKey: string, opts: Opts): ServerHandle {
    const s = c.server;
    const key = new digitalocean.SshKey(name, { name, publicKey }, opts);
    const droplet = new digitalocean.Droplet(
        name,
        {
            name,
            image: s.image,
            size: s.size,
            region: s.region,
            ipv6: true,
            monitoring: true,
            sshKeys: [key.fingerprint],
            userData,
            tags: ["mokowaas"],
        },
        { ...opts, protect: s.protect, ignoreChanges: ["sshKeys", "userData"] },
    );
    new digitalocean.Firewall(
        name,
        {
            name,
            dropletIds: [droplet.id.apply(Number)],
            inboundRules: inboundRules(c).map((r) => ({ protocol: "tcp", portRange: r.port, sourceAddresses: r.sources })),
            outboundRules: [
                { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
            ],
        },
        opts,
    );
    return { id: droplet.id, sshHost: droplet.ipv4Address, ipv4: droplet.ipv4Address, ipv6: droplet.ipv6Address.apply((a) => a ?? "") };
}

/** A server you already have: nothing is created; its firewall is yours to manage. */
export function existingServer(c: PlatformConfig & { server: { provider: "existing" } }): ServerHandle {
    const s = c.server;
    return {
        id: pulumi.output(`existing:${s.address}:${c.ssh.port}`),
        sshHost: pulumi.output(s.address),
        ipv4: pulumi.output(s.ipv4 ?? s.address),
        ipv6: pulumi.output(s.ipv6),
    };
}
