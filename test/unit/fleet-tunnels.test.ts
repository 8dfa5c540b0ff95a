import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { HOST_KEY } from "./helpers/platform-fixture";

const repo = path.join(__dirname, "..", "..");
const tsx = path.join(repo, "node_modules", ".bin", "tsx");

/** Runs fleet's tunnel opener against the real scripts/tunnel.ts in a tsx process (as npm run fleet does). */
function openWith(platform: string, outputs: unknown): { ok: boolean; text: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-tunnel-"));
    const script = path.join(dir, "run.ts");
    fs.writeFileSync(
        script,
        `import { tunnelOpener } from ${JSON.stringify(path.join(repo, "fleet", "tunnels"))};
         tunnelOpener(${JSON.stringify(repo)}, async () => (${JSON.stringify(outputs)}))(${JSON.stringify(platform)})
           .then(async (t) => { await t.close(); console.log("opened and closed"); })
           .catch((e) => { console.log("error: " + e.message); process.exitCode = 1; });`,
    );
    try {
        return { ok: true, text: execFileSync(tsx, [script], { encoding: "utf8", cwd: repo }).trim() };
    } catch (e) {
        return { ok: false, text: String((e as { stdout?: string }).stdout ?? e).trim() };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("fleet's tunnel opener with scripts/tunnel.ts", () => {
    it("hands the platform's outputs to openTunnel: a platform whose outputs say no tunnel gets a no-op one", () => {
        expect(openWith("local", { tunnel: null, ssh: { host: "127.0.0.1", port: 22, user: "root", privateKey: "x" } })).toEqual({ ok: true, text: "opened and closed" });
    });

    it("refuses a platform stack without outputs, saying how to bring it up", () => {
        expect(openWith("prod", {})).toEqual({ ok: false, text: "error: platform stack prod has no outputs: bring it up first (npm run fleet -- up --platform prod)" });
    });

    it("reports ssh's own failure when the tunnel cannot open", () => {
        const r = openWith("prod", {
            tunnel: { localPort: 1, remoteHost: "127.0.0.1", remotePort: 3306 },
            ssh: { host: "127.0.0.1", port: 1, user: "nobody", privateKey: "not a key", hostKey: HOST_KEY },
        });
        expect(r.ok).toBe(false);
        expect(r.text).toMatch(/^error: ssh tunnel .* did not open: /);
    });

    it("refuses a platform that exports no SSH host key, before any ssh runs", () => {
        const r = openWith("prod", {
            tunnel: { localPort: 1, remoteHost: "127.0.0.1", remotePort: 3306 },
            ssh: { host: "127.0.0.1", port: 1, user: "nobody", privateKey: "not a key" },
        });
        expect(r.ok).toBe(false);
        expect(r.text).toMatch(/^error: the platform exports no SSH host key for 127\.0\.0\.1:1/);
    });
});
