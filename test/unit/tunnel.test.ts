/** The MySQL tunnel plan (infra/tunnel.ts) and openTunnel's refusals (scripts/tunnel.ts). */
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import type { PlatformExports } from "../../components/platform-ref";
import { MissingHostKeyError, knownHostsLine, tunnelPlan } from "../../infra/tunnel";
import { openTunnel } from "../../scripts/tunnel";
import { freePort } from "../../devenv/ports";
import { HOST_KEY, platformExports } from "./helpers/platform-fixture";

describe("tunnel plan", () => {
    it("forwards the platform's local port to MySQL on the server, key from a file, only the pinned host key accepted", () => {
        const outputs = platformExports();
        const plan = tunnelPlan(outputs, "/tmp/k/key", "/tmp/k/known_hosts")!;
        expect(plan.args).toEqual([
            "-N", "-L", "127.0.0.1:13306:127.0.0.1:3306", "-p", "22", "-i", "/tmp/k/key",
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", "ServerAliveInterval=30",
            "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/tmp/k/known_hosts", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "UpdateHostKeys=no", "root@203.0.113.10",
        ]);
        expect(plan.args.join(" ")).not.toContain(outputs.ssh.privateKey.trim().split("\n")[1]);
        expect(plan.args.join(" ")).not.toContain("accept-new");
        expect(plan.target).toBe("root@203.0.113.10:22 -> 127.0.0.1:3306");
        expect(knownHostsLine(outputs.ssh)).toBe(`203.0.113.10 ${HOST_KEY}`);
    });

    it("writes the known_hosts line with the port in brackets when it is not 22", () => {
        expect(knownHostsLine({ ...platformExports().ssh, port: 2222 })).toBe(`[203.0.113.10]:2222 ${HOST_KEY}`);
    });

    it("refuses a platform that exports no host key: no plan, no known_hosts line, no ssh started", async () => {
        // As a platform stack from before host keys exports it (JSON without the field).
        const { hostKey: _, ...ssh } = platformExports().ssh;
        const bare = { ...platformExports(), ssh: ssh as PlatformExports["ssh"] };
        expect(() => tunnelPlan(bare, "/k", "/kh")).toThrow(MissingHostKeyError);
        expect(() => tunnelPlan(platformExports(), "/k")).toThrow(MissingHostKeyError);
        expect(() => knownHostsLine(bare.ssh)).toThrow("the platform exports no SSH host key for 203.0.113.10:22");
        const port = await freePort();
        await expect(openTunnel("prod", { outputs: { ...bare, tunnel: { localPort: port, remoteHost: "127.0.0.1", remotePort: 3306 } } })).rejects.toThrow(
            /exports no SSH host key .*run `pulumi up` of the platform stack/,
        );
    });

    it("plans nothing for a platform without a tunnel (local)", async () => {
        expect(tunnelPlan(platformExports({ tunnel: null }), "/k", "/kh")).toBeNull();
        const t = await openTunnel("local", { outputs: platformExports({ tunnel: null }) });
        await t.close();
    });

    it("refuses to open when the local port is taken, saying so", async () => {
        const port = await freePort();
        const server = net.createServer().listen(port, "127.0.0.1");
        await new Promise((r) => server.once("listening", r));
        try {
            const outputs = platformExports({ tunnel: { localPort: port, remoteHost: "127.0.0.1", remotePort: 3306 } });
            await expect(openTunnel("prod", { outputs })).rejects.toThrow(`local port ${port} is already in use: is a tunnel to prod already open?`);
        } finally {
            server.close();
        }
    });

    it("reports ssh's own error when the tunnel cannot open", async () => {
        const port = await freePort();
        const closed = await freePort();
        const outputs = platformExports({
            ssh: { ...platformExports().ssh, host: "127.0.0.1", port: closed },
            tunnel: { localPort: port, remoteHost: "127.0.0.1", remotePort: 3306 },
        });
        await expect(openTunnel("prod", { outputs, timeoutMs: 10_000 })).rejects.toThrow(/ssh tunnel root@127\.0\.0\.1:\d+ -> 127\.0\.0\.1:3306 did not open: .*(refused|Connection)/);
    });
});
