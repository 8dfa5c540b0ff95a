/**
 * scripts/setup.sh's first phase, as a new user meets it: a clone with no artifact mirror, no
 * reachable official source and an empty cache stops at once with ONE message that names every
 * missing artifact and the three ways to provide it, and installs nothing; with the mirror it
 * passes. (`--check` runs the first phase only; the real install runs before every test run.)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toolchain } from "../../devenv/toolchain";

const repo = path.resolve(__dirname, "../..");
const empty = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-empty-cache-"));
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

function check(env: Record<string, string>) {
    return spawnSync("bash", ["scripts/setup.sh", "--check"], { cwd: repo, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
}

describe("scripts/setup.sh --check", () => {
    it("without mirror, official sources or cache: exit 1, one message naming each missing artifact and how to provide it, nothing installed", () => {
        const r = check({ MOKOWAAS_MIRROR: "", MOKOWAAS_OFFLINE: "1", MOKOWAAS_CACHE: empty, MOKOWAAS_STRICT: "1", PULUMI_HOME: path.join(empty, "pulumi") });
        expect(r.status).toBe(1);
        const text = r.stderr;
        expect(text.match(/cannot provide everything/g)).toHaveLength(1);
        for (const v of ["6.0.3", "6.0.4", "6.1.0"]) {
            expect(text).toContain(`Joomla ${v} (Joomla_${v}-Stable-Full_Package.tar.zst): not in the cache`);
        }
        expect(text).toContain("Provide it one of three ways:");
        expect(text).toContain("point MOKOWAAS_MIRROR at a mirror holding joomla/");
        expect(text).toMatch(/plugin-mysql\s+NO SOURCE/);
        // Nothing was unpacked, downloaded or built into the empty cache.
        expect(fs.readdirSync(empty).filter((f) => f !== "pulumi")).toEqual([]);
    });

    it("with the sources this machine's setup used (the artifact mirror here), every input is available", () => {
        const mirror = toolchain().mirror;
        const sources: Record<string, string> = mirror ? { MOKOWAAS_MIRROR: mirror, MOKOWAAS_OFFLINE: "1" } : { MOKOWAAS_MIRROR: "" };
        const r = check({ ...sources, MOKOWAAS_CACHE: empty, MOKOWAAS_STRICT: "1", PULUMI_HOME: path.join(empty, "pulumi") });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("every input is available");
    });
});
