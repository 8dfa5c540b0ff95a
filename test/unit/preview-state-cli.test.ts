/**
 * `npm run preview-state`'s guards, which run before any engine: publish never writes over the
 * production backend, never runs with the preview passphrase, and does nothing (exit 0, said)
 * where no preview state is configured; fetch needs the preview backend and an empty folder; an
 * engine error is logged without the stdout that may hold secrets.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PREVIEW_PASSPHRASE } from "../../fleet/preview-state";
import { main, printable } from "../../scripts/preview-state";

let stderr = "";
beforeEach(() => {
    stderr = "";
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe("preview-state publish | fetch, before any engine", () => {
    it("publish without a preview backend says so and succeeds: a deploy does not fail for it", async () => {
        expect(await main(["publish"], { PULUMI_CONFIG_PASSPHRASE: "p" })).toBe(0);
        expect(stderr).toMatch(/PREVIEW_BACKEND_URL is not set: no preview state published/);
    });

    it("publish refuses the production backend, however it is written", async () => {
        for (const [prod, preview] of [
            ["s3://mokowaas-state?region=us-east-1", "s3://mokowaas-state/?region=us-east-1"],
            ["file:///srv/state", "file:///srv/x/../state/"],
        ]) {
            stderr = "";
            expect(await main(["publish"], { PULUMI_CONFIG_PASSPHRASE: "p", PULUMI_BACKEND_URL: prod, PREVIEW_BACKEND_URL: preview }), preview).toBe(2);
            expect(stderr).toMatch(/refusing to write placeholders over the production state/);
        }
    });

    it("publish needs the production passphrase and refuses the preview one", async () => {
        expect(await main(["publish"], { PREVIEW_BACKEND_URL: "file:///tmp/preview" })).toBe(3);
        expect(stderr).toMatch(/PULUMI_CONFIG_PASSPHRASE \(or _FILE\) is not set/);
        expect(await main(["publish"], { PREVIEW_BACKEND_URL: "file:///tmp/preview", PULUMI_CONFIG_PASSPHRASE: PREVIEW_PASSPHRASE })).toBe(2);
        expect(stderr).toMatch(/the passphrase is the preview one/);
    });

    it("fetch needs the preview backend, an empty folder, and CI or --rewrite-stack-config", async () => {
        expect(await main(["fetch"], {})).toBe(3);
        expect(stderr).toMatch(/no preview state to run a preview against/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-state-cli-"));
        try {
            fs.writeFileSync(path.join(dir, "leftover"), "");
            expect(await main(["fetch", "--dir", dir], { PREVIEW_BACKEND_URL: "file:///tmp/preview", CI: "true" })).toBe(2);
            expect(stderr).toMatch(/is not empty/);
            fs.rmSync(path.join(dir, "leftover"));
            // Outside CI it rewrites nobody's checkout unless told to.
            expect(await main(["fetch", "--dir", dir], { PREVIEW_BACKEND_URL: "file:///tmp/preview" })).toBe(2);
            expect(stderr).toMatch(/rewrites this checkout's Pulumi.<stack>.yaml files.*--rewrite-stack-config/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses unknown commands and options", async () => {
        expect(await main(["push"], {})).toBe(2);
        expect(await main(["publish", "--dir", "x"], {})).toBe(2);
        expect(stderr).toMatch(/usage: npm run --silent preview-state -- publish \| fetch/);
    });

    it("logs an engine error with its exit code and stderr, never its stdout", () => {
        const e = new Error('code: 255\n stdout: {"plaintext":"\\"hunter2-secret\\""}\n stderr: error: could not import deployment\n err?: Error\n');
        expect(printable(e)).toBe("the pulumi CLI failed (exit 255): error: could not import deployment");
        expect(printable(new Error("plain message"))).toBe("plain message");
    });
});
