/**
 * The DreamHost DnsRecord resources under the real Pulumi engine (CLI built by
 * scripts/install-pulumi.sh, Automation API inline program, file backend in a temp folder) against
 * the DreamHost API emulator: up, an in-place update (CNAME target, A value), a preview that shows
 * no change right after, destroy. After each step the emulator's zone holds exactly the expected
 * records, and no file of the backend ever holds the API key. Needs only the CLI and the dynamic
 * provider host (both built here); without the CLI it skips loudly (fails under MOKOWAAS_STRICT=1).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineEnv, findEngine } from "../../fleet/engine";
import { DreamhostEmulator } from "../fakes/dreamhost-emulator";
import { textOfFiles } from "../harness/files";
import { skipWithout } from "../harness/strict";

const run = promisify(execFile);
const repo = path.resolve(__dirname, "../..");
const { engine, reason } = findEngine(repo);
const skip = skipWithout("DreamHost DNS records under the real Pulumi engine", [engine ? undefined : reason]);

const KEY = `DHE2E${randomBytes(12).toString("hex").toUpperCase()}`;
const ZONE = "example.com";
// Inside the repo: the dynamic provider host resolves node_modules from its working folder.
const work = path.join(repo, ".cache/tmp", `engine-dns-${randomBytes(4).toString("hex")}`);
const backend = path.join(work, "backend");
let emu: DreamhostEmulator;

type Rec = { name: string; record: string; type: "A" | "CNAME"; value: string };

async function stack(action: "up" | "preview" | "destroy", records: Rec[]): Promise<any> {
    const env = {
        ...process.env,
        ...engineEnv(work, engine!, { ...process.env, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "engine-dns-test" }),
        PATH: [path.dirname(engine!.command), path.join(repo, "node_modules/@pulumi/pulumi"), process.env.PATH].join(":"),
        DREAMHOST_API_URL: emu.url,
        DREAMHOST_API_KEY: KEY,
        DREAMHOST_BACKOFF_MS: "10",
        DNS_RECORDS: JSON.stringify(records),
    };
    try {
        const { stdout } = await run(path.join(repo, "node_modules/.bin/tsx"), ["test/e2e/fixtures/dns-stack.ts", action, work], {
            cwd: repo, env, maxBuffer: 64 << 20, timeout: 600_000,
        });
        return JSON.parse(stdout.trim().split("\n").pop()!);
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${action} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`, { cause: e });
    }
}


const first: Rec[] = [
    { name: "acme-dev", record: "dev.acme.example.com", type: "CNAME", value: "local.mokowaas.example.net" },
    { name: "apex", record: "example.com", type: "A", value: "203.0.113.10" },
];
const second: Rec[] = [
    { name: "acme-dev", record: "dev.acme.example.com", type: "CNAME", value: "other.mokowaas.example.net" },
    { name: "apex", record: "example.com", type: "A", value: "203.0.113.20" },
];

describe.skipIf(skip)("DreamHost DNS records under the real Pulumi engine", () => {
    beforeAll(async () => {
        fs.mkdirSync(backend, { recursive: true });
        emu = new DreamhostEmulator(KEY);
        await emu.start();
        emu.addZone(ZONE);
    });
    afterAll(async () => {
        await emu?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("up creates exactly the declared records", async () => {
        const r = await stack("up", first);
        expect(r.result).toBe("succeeded");
        expect(r.changes).toMatchObject({ create: 3 }); // the stack and two records
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10", "CNAME dev.acme.example.com local.mokowaas.example.net."]);
        expect(textOfFiles(backend)).toContain("dreamhost:DnsRecord");
        expect(textOfFiles(backend)).not.toContain(KEY);
    }, 600_000);

    it("an update moves the CNAME target and the A value, leaving nothing behind", async () => {
        const r = await stack("up", second);
        expect(r.result).toBe("succeeded");
        expect(r.changes).toMatchObject({ update: 2, same: 1 });
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20", "CNAME dev.acme.example.com other.mokowaas.example.net."]);
        expect(emu.lines(ZONE, true)).toHaveLength(5); // plus DreamHost's three apex NS records, untouched
        expect(textOfFiles(backend)).not.toContain(KEY);
    }, 600_000);

    it("preview right after shows no change", async () => {
        const r = await stack("preview", second);
        expect(r.changes).toEqual({ same: 3 });
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20", "CNAME dev.acme.example.com other.mokowaas.example.net."]);
    }, 600_000);

    it("destroy removes them, and no state file ever held the API key", async () => {
        const r = await stack("destroy", second);
        expect(r.result).toBe("succeeded");
        expect(r.changes).toMatchObject({ delete: 3 });
        expect(emu.lines(ZONE)).toEqual([]);
        expect(emu.lines(ZONE, true)).toHaveLength(3);
        const text = textOfFiles(backend);
        expect(text.length).toBeGreaterThan(0);
        expect(text).not.toContain(KEY);
        // the key did reach the provider: every API call carried it
        expect(emu.requests.every((q) => q.keyPresent)).toBe(true);
    }, 600_000);
});
