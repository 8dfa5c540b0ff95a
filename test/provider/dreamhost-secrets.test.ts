/**
 * The API key must never reach Pulumi state, an error or a log; the provider must survive closure
 * serialization and run in a plain Node process the way the provider host runs it.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { dreamhostDnsProvider } from "../../components/dreamhost";
import { freePort } from "../../devenv/ports";
import type { DreamhostEmulator } from "../fakes/dreamhost-emulator";
import { clearEnv, failure, KEY, mutations, pointAt, startEmulator, up, ZONE } from "./dreamhost-driver";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const APEX = { record: "example.com", type: "A", value: "203.0.113.10" };

let emu: DreamhostEmulator;
let tmp: string;
beforeAll(async () => {
    emu = await startEmulator();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dh-secrets-"));
});
afterAll(async () => {
    await emu.stop();
    clearEnv();
    fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
    emu.unseed((r) => r.editable === "1");
    emu.reset();
    pointAt(emu);
});

describe("serialization into state", () => {
    test("serializeFunction captures neither the key nor the endpoint, nor the Pulumi SDK", async () => {
        const sf = await pulumi.runtime.serializeFunction(() => dreamhostDnsProvider);
        expect(sf.text).not.toContain(KEY);
        expect(sf.text).not.toContain(emu.url.replace(/\/$/, ""));
        expect(sf.text, "the SDK is required at call time, not captured").toContain('require("@pulumi/pulumi")');
        expect(sf.text).not.toMatch(/class Output\b/);
    }, 60_000);

    test("serialized as a Pulumi program compiles it, it runs in a plain Node process like the provider host", async () => {
        const text = await serializedOutsideVitest();
        expect(text).not.toContain(KEY);
        // Compiled as CommonJS, node_modules stay require() calls: only our own modules are inlined.
        expect(text).toMatch(/require\("tldts[^"]*"\)/);
        expect(text.length).toBeLessThan(200_000);
        const file = path.join(tmp, "provider.js");
        fs.writeFileSync(file, text);

        const inputs = { ...APEX, comment: "" };
        const moved = { ...APEX, value: "203.0.113.20", comment: "" };
        const results = await host(file, null, [
            ["check", {}, { ...APEX }],
            ["create", inputs],
            ["update", "example.com/A", inputs, moved],
            ["read", "example.com/A", moved],
        ]);
        expect(results.map((r) => r.error ?? null)).toEqual([null, null, null, null]);
        expect(results[0].result.failures).toEqual([]);
        expect(results[1].result).toEqual({ id: "example.com/A", outs: inputs });
        expect(results[3].result.props).toEqual(moved);
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20"]);

        // The engine's config reaches it through configure(), with no key in the environment.
        const viaConfig = await host(file, { "dreamhost:apiKey": KEY, "dreamhost:apiUrl": emu.url }, [["delete", "example.com/A", moved]], {
            DREAMHOST_API_KEY: "",
            DREAMHOST_API_URL: "",
        });
        expect(viaConfig[0].error).toBeUndefined();
        expect(emu.lines(ZONE)).toEqual([]);

        // And its errors keep the key out too.
        const denied = await host(file, null, [["create", inputs]], { DREAMHOST_API_KEY: "WRONG-KEY-0123" });
        expect(denied[0].error).toMatch(/rejected the API key/);
        expect(JSON.stringify(denied)).not.toContain("WRONG-KEY-0123");
    }, 120_000);
});

describe("errors never carry the key", () => {
    test("state (the outputs) holds no key", async () => {
        const d = await up(APEX);
        expect(JSON.stringify(d)).not.toContain(KEY);
    });

    test("a rejected key says what to do", async () => {
        pointAt(emu, { DREAMHOST_API_KEY: `${KEY}X` });
        const msg = await failure(() => up(APEX));
        expect(msg).toMatch(/DreamHost rejected the API key .*dreamhost:apiKey.*\[invalid_api_key\]/);
    });

    test("an answer quoting the key is scrubbed", async () => {
        emu.inject({ kind: "error", code: "invalid_api_key", details: `key=${KEY} is not known` });
        const msg = await failure(() => up(APEX));
        expect(msg).toContain("key=[redacted] is not known");
    });

    test("network failures and timeouts name the failure, not the URL", async () => {
        pointAt(emu, { DREAMHOST_API_URL: `http://127.0.0.1:${await freePort()}/`, DREAMHOST_MAX_ATTEMPTS: "2" });
        expect(await failure(() => up(APEX))).toMatch(/no usable answer after 2 attempt\(s\), last: network error ECONNREFUSED/);

        pointAt(emu, { DREAMHOST_TIMEOUT_MS: "50", DREAMHOST_MAX_ATTEMPTS: "2" });
        emu.inject({ kind: "slow", delayMs: 300 }, { times: 2 });
        expect(await failure(() => up(APEX))).toMatch(/last: no answer within 50 ms/);
    });

    test("a missing key is a clear error and nothing is called", async () => {
        delete process.env.DREAMHOST_API_KEY;
        expect(await failure(() => up(APEX))).toMatch(/No DreamHost API key: run `pulumi config set --secret dreamhost:apiKey/);
        expect(emu.requests).toEqual([]);
    });

    test("the key is only sent over https, except to loopback", async () => {
        pointAt(emu, { DREAMHOST_API_URL: "http://dns-proxy.example.net/" });
        expect(await failure(() => up(APEX))).toMatch(/must use https \(the API key travels in the query string\)/);
        pointAt(emu, { DREAMHOST_API_URL: `${emu.url}?key=${KEY}` });
        expect(await failure(() => up(APEX))).toMatch(/bare base URL/);
        expect(emu.requests).toEqual([]);
    });
});

describe("settings sources", () => {
    test("stack config (dreamhost:apiKey, dreamhost:apiUrl) is read inside the call", async () => {
        clearEnv();
        pulumi.runtime.setAllConfig({ "dreamhost:apiKey": KEY, "dreamhost:apiUrl": emu.url, "dreamhost:backoffMs": "5" }, ["dreamhost:apiKey"]);
        try {
            await up(APEX);
            expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10"]);
        } finally {
            pulumi.runtime.setAllConfig({}, []);
        }
    });

    test("configure() values win over the environment", async () => {
        pointAt(emu, { DREAMHOST_API_KEY: "STALE-ENV-KEY" });
        const configured = { ...dreamhostDnsProvider };
        await configured.configure!({
            config: { get: (k: string) => (k === "dreamhost:apiKey" ? KEY : undefined), require: (k: string) => k },
        });
        expect(JSON.stringify(configured), "the configured key is not enumerable").not.toContain(KEY);
        await configured.create({ ...APEX, comment: "" });
        expect(mutations(emu)).toEqual(["add A example.com 203.0.113.10"]);
    });
});

/** The provider serialized by a separate tsx process (CommonJS, like a Pulumi program), with the key in its environment. */
async function serializedOutsideVitest(): Promise<string> {
    const { stdout } = await run(path.join(ROOT, "node_modules/.bin/tsx"), ["test/provider/fixtures/serialize-dreamhost.ts"], {
        cwd: ROOT,
        env: { ...process.env, DREAMHOST_API_KEY: KEY },
        maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
}

type HostLine = { method: string; result?: any; error?: string; name?: string };

/** Runs steps through the serialized provider in a plain `node`, cwd the project root (as the host). */
async function host(file: string, config: Record<string, string> | null, steps: unknown[][], env: Record<string, string> = {}): Promise<HostLine[]> {
    const { stdout, stderr } = await run(
        process.execPath,
        ["test/provider/fixtures/run-serialized-provider.cjs", file, JSON.stringify(config), JSON.stringify(steps)],
        { cwd: ROOT, env: { ...process.env, ...env } },
    );
    expect(stderr).toBe("");
    return stdout.trim().split("\n").map((l) => JSON.parse(l) as HostLine);
}
