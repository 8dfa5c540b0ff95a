/**
 * `npm run tunnel -- <platform> [--stack ORG/PROJECT/STACK]`: holds an `ssh -N -L` tunnel from
 * this machine to the platform's MySQL open until Ctrl-C, so tenant stacks' mysql provider can
 * reach it (run it before `pulumi preview/up/destroy` of a tenant). The platform's outputs come
 * from `pulumi stack output`; the SSH key is written to a private temporary file for the
 * tunnel's lifetime only. `openTunnel` is the same thing for the fleet command.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { type PlatformExports, platformStackName } from "../components/platform-ref";
import { knownHostsLine, tunnelPlan } from "../infra/tunnel";

export interface Tunnel {
    close(): Promise<void>;
}

export interface TunnelOptions {
    /** StackReference-style name of the platform stack (default organization/mokowaas/<platform>). */
    stackName?: string;
    /** The platform's outputs, when the caller has them (default: `pulumi stack output`). */
    outputs?: Pick<PlatformExports, "ssh" | "tunnel">;
    /** How long to wait for the tunnel to accept connections. */
    timeoutMs?: number;
}

const PROJECT_DIR = path.join(__dirname, "..");

async function stackOutputs(stackName: string): Promise<Pick<PlatformExports, "ssh" | "tunnel">> {
    try {
        const r = await promisify(execFile)("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stackName], {
            cwd: PROJECT_DIR,
            maxBuffer: 16 * 1024 * 1024,
        });
        return JSON.parse(r.stdout) as PlatformExports;
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join(" ") ?? String(e);
        throw new Error(`cannot read the outputs of platform stack ${stackName} (pulumi stack output): ${stderr}`, { cause: e });
    }
}

function portOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => {
            socket.destroy();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
    });
}

function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
    });
}

/** Opens the tunnel; resolves once its local port accepts connections (a no-op tunnel when none is needed). */
export async function openTunnel(platform: string, opts: TunnelOptions = {}): Promise<Tunnel> {
    const stackName = platformStackName(platform, opts.stackName);
    const outputs = opts.outputs ?? (await stackOutputs(stackName));
    if (!outputs.tunnel) return { close: async () => undefined };
    if (await portOpen(outputs.tunnel.localPort)) {
        throw new Error(`local port ${outputs.tunnel.localPort} is already in use: is a tunnel to ${platform} already open?`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-tunnel-"));
    const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
        const keyFile = path.join(dir, "key");
        fs.writeFileSync(keyFile, outputs.ssh.privateKey.endsWith("\n") ? outputs.ssh.privateKey : `${outputs.ssh.privateKey}\n`, { mode: 0o600 });
        const known = knownHostsLine(outputs.ssh);
        const knownFile = known ? path.join(dir, "known_hosts") : undefined;
        if (knownFile) fs.writeFileSync(knownFile, `${known}\n`, { mode: 0o600 });
        const plan = tunnelPlan(outputs, keyFile, knownFile)!;
        const child = spawn("ssh", plan.args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
        const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
        while (!(await portOpen(plan.localPort))) {
            if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
                await stop(child);
                throw new Error(`ssh tunnel ${plan.target} did not open: ${stderr.trim() || "no answer in time"}`);
            }
            await new Promise((r) => setTimeout(r, 100));
        }
        return {
            close: async () => {
                await stop(child);
                cleanup();
            },
        };
    } catch (e) {
        cleanup();
        throw e;
    }
}

async function main(argv: string[]): Promise<void> {
    const [platform, ...rest] = argv;
    const stackIdx = rest.indexOf("--stack");
    if (!platform || platform.startsWith("-") || (stackIdx >= 0 && !rest[stackIdx + 1])) {
        console.error("usage: npm run tunnel -- <platform> [--stack ORG/mokowaas/STACK]");
        process.exit(2);
    }
    const stackName = stackIdx >= 0 ? rest[stackIdx + 1] : undefined;
    const outputs = await stackOutputs(platformStackName(platform, stackName));
    if (!outputs.tunnel) {
        console.log(`platform ${platform} needs no tunnel: its MySQL is reachable directly`);
        return;
    }
    const tunnel = await openTunnel(platform, { stackName, outputs });
    console.log(`tunnel open: 127.0.0.1:${outputs.tunnel.localPort} -> MySQL of ${platform} (Ctrl-C closes it)`);
    await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
    });
    await tunnel.close();
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e: Error) => {
        console.error(`tunnel: ${e.message}`);
        process.exit(1);
    });
}
