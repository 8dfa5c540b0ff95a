/**
 * SSH host keys known before first contact (infra/host-key.ts, infra/cloud-init.ts): the derived
 * key is one OpenSSH reads, cloud-init gets it as the only host key, and a real sshd serving it is
 * accepted by the tunnel's pinned check while any other key is refused.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort } from "../../devenv/ports";
import { stopPid } from "../../devenv/process";
import { startSshd } from "../../devenv/sshd";
import { cloudInit } from "../../infra/cloud-init";
import { parsePlatformConfig } from "../../infra/config";
import { ed25519HostKey, hostKeyProblem } from "../../infra/host-key";
import { openTunnel } from "../../scripts/tunnel";
import { platformExports } from "./helpers/platform-fixture";

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-hostkey-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What OpenSSH itself derives from a private key file. */
function sshKeygenPublic(privateKey: string): string {
    const file = path.join(tmp, `key-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, privateKey, { mode: 0o600 });
    try {
        return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
    } finally {
        fs.rmSync(file);
    }
}

describe("ed25519HostKey", () => {
    it("writes a private key file OpenSSH reads, whose public half is the one it returns", () => {
        for (let i = 0; i < 5; i++) {
            const pair = ed25519HostKey(randomBytes(32));
            expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/);
            expect(sshKeygenPublic(pair.privateKey)).toBe(pair.publicKey);
            expect(hostKeyProblem(pair.publicKey)).toBeUndefined();
        }
    });

    it("is a pure function of the seed (a re-run of the program changes nothing); other seeds give other keys", () => {
        const seed = Buffer.alloc(32, 1);
        expect(ed25519HostKey(seed)).toEqual(ed25519HostKey(Buffer.from(seed)));
        expect(ed25519HostKey(Buffer.alloc(32, 2)).publicKey).not.toBe(ed25519HostKey(seed).publicKey);
        expect(() => ed25519HostKey(Buffer.alloc(16))).toThrow("an Ed25519 seed is 32 bytes, not 16");
    });
});

describe("hostKeyProblem (mokowaas:ssh.hostKey)", () => {
    const key = ed25519HostKey(Buffer.alloc(32, 3)).publicKey;

    it("accepts `<type> <base64>` as ssh-keyscan prints it after the host name", () => {
        expect(hostKeyProblem(key)).toBeUndefined();
    });

    it.each([
        ["a whole ssh-keyscan line", `203.0.113.7 ${key}`],
        ["a comment", `${key} root@server`],
        ["a truncated key", key.slice(0, 40)],
        ["a key whose blob is another type", `ecdsa-sha2-nistp256 ${key.split(" ")[1]}`],
        ["an RSA key (@pulumi/command would offer only SHA-1 signatures for it)", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ=="],
        ["a newline", `${key}\nevil`],
    ])("refuses %s", (_what, value) => {
        expect(hostKeyProblem(value)).toBeDefined();
    });

    it("is required for an existing server, the message saying how to get it", () => {
        const raw = {
            hostname: "p.mokowaas.example.net",
            server: { provider: "existing", address: "203.0.113.7" },
            ssh: { port: 2200 },
            joomla: { version: "6.0.4", url: "https://example.com/j.zip", sha256: "0".repeat(64) },
        };
        expect(() => parsePlatformConfig("p", raw)).toThrow(
            /mokowaas:ssh\.hostKey: is required for an existing server: every SSH connection verifies it\. Read it with `ssh-keyscan -t ed25519 -p 2200 203\.0\.113\.7`/,
        );
        expect(() => parsePlatformConfig("p", { ...raw, ssh: { port: 2200, hostKey: `${key} root@x` } })).toThrow(/mokowaas:ssh\.hostKey: must be the server's Ed25519 \(or ECDSA\) host public key/);
        expect(parsePlatformConfig("p", { ...raw, ssh: { port: 2200, hostKey: key } }).ssh.hostKey).toBe(key);
    });
});

describe("cloud-init", () => {
    it("installs the stack's key as the server's only host key and keeps the metadata service (which serves it) from non-root users", () => {
        const pair = ed25519HostKey(Buffer.alloc(32, 4));
        const text = cloudInit({ hostname: "prod.mokowaas.example.net", hostKey: pair });
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        const doc = parse(text) as Record<string, any>;
        expect(doc.ssh_keys).toEqual({ ed25519_private: pair.privateKey, ed25519_public: pair.publicKey });
        expect(doc.ssh_deletekeys).toBe(true);
        expect(doc.ssh_genkeytypes).toEqual(["ed25519"]);
        const guard = doc.write_files.find((f: { path: string }) => f.path === "/etc/systemd/system/mokowaas-metadata-guard.service");
        expect(guard.content).toContain("-d 169.254.169.254 -m owner ! --uid-owner 0 -j REJECT");
        expect(guard.content).toContain("Before=php8.3-fpm.service caddy.service");
        expect(doc.runcmd[0]).toEqual(["systemctl", "enable", "--now", "mokowaas-metadata-guard.service"]);
        expect(doc.packages).toContain("iptables");
    });
});

describe("a real sshd serving a generated host key", () => {
    const pair = ed25519HostKey(randomBytes(32));
    let port: number;
    let pid: number;
    let clientKey: string;

    beforeAll(async () => {
        const dir = path.join(tmp, "sshd");
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        // startSshd keeps a host key it finds: the one the stack would have cloud-init install.
        fs.writeFileSync(path.join(dir, "ssh_host_ed25519_key"), pair.privateKey, { mode: 0o600 });
        fs.writeFileSync(path.join(dir, "ssh_host_ed25519_key.pub"), `${pair.publicKey}\n`);
        clientKey = path.join(tmp, "client", "id_ed25519");
        port = await freePort();
        pid = (await startSshd({ dir, port, clientKey })).pid;
    }, 30_000);
    afterAll(async () => {
        if (pid) await stopPid(pid, "SIGTERM", 5_000);
    });

    it("presents exactly that key", () => {
        const scanned = execFileSync("ssh-keyscan", ["-t", "ed25519", "-p", String(port), "127.0.0.1"], { encoding: "utf8" });
        expect(scanned.trim().split("\n").filter((l) => !l.startsWith("#"))).toEqual([`[127.0.0.1]:${port} ${pair.publicKey}`]);
    });

    const outputsWith = async (hostKey: string) => ({
        ...platformExports(),
        ssh: { host: "127.0.0.1", port, user: "root", privateKey: fs.readFileSync(clientKey, "utf8"), hostKey },
        tunnel: { localPort: await freePort(), remoteHost: "127.0.0.1", remotePort: 9 },
    });

    it("opens the tunnel when the pinned key is the server's", async () => {
        const tunnel = await openTunnel("prod", { outputs: await outputsWith(pair.publicKey), timeoutMs: 15_000 });
        await tunnel.close();
    });

    it("refuses the server when the pinned key is another one (never accepting it on first use)", async () => {
        const other = ed25519HostKey(randomBytes(32)).publicKey;
        await expect(openTunnel("prod", { outputs: await outputsWith(other), timeoutMs: 15_000 })).rejects.toThrow(/did not open: .*Host key verification failed/s);
    });
});
