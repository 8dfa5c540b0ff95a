/** The MySQL tunnel plan (infra/tunnel.ts) and openTunnel's refusals (scripts/tunnel.ts). */
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { knownHostsLine, tunnelPlan } from "../../infra/tunnel";
import { openTunnel } from "../../scripts/tunnel";
import { freePort } from "../../devenv/ports";
import { platformExports } from "./helpers/platform-fixture";

describe("tunnel plan", () => {
    it("forwards the platform's local port to MySQL on the server, key from a file, never the key itself in argv", () => {
        const outputs = platformExports();
        const plan = tunnelPlan(outputs, "/tmp/k/key")!;
        expect(plan.args).toEqual([
            "-N", "-L", "127.0.0.1:13306:127.0.0.1:3306", "-p", "22", "-i", "/tmp/k/key",
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", "ServerAliveInterval=30",
            "-o", "StrictHostKeyChecking=accept-new", "root@203.0.113.10",
        ]);
        expect(plan.args.join(" ")).not.toContain(outputs.ssh.privateKey.trim().split("\n")[1]);
        expect(plan.target).toBe("root@203.0.113.10:22 -> 127.0.0.1:3306");
    });

    it("pins the platform's host key when it exports one", () => {
        const ssh = { ...platformExports().ssh, port: 2222, hostKey: "ssh-ed25519 AAAAhostkey" };
        expect(knownHostsLine(ssh)).toBe("[203.0.113.10]:2222 ssh-ed25519 AAAAhostkey");
        expect(tunnelPlan({ ssh, tunnel: platformExports().tunnel }, "/k", "/kh")!.args).toEqual(
            expect.arrayContaining(["StrictHostKeyChecking=yes", "UserKnownHostsFile=/kh"]),
        );
    });

    it("plans nothing for a platform without a tunnel (local)", async () => {
        expect(tunnelPlan(platformExports({ tunnel: null }), "/k")).toBeNull();
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
