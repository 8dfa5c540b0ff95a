/**
 * The platform's server scripts (infra/server-scripts.ts), run for real with sh in a temporary
 * root: a stand-in `php` records the server CLI calls, a stand-in MySQL client records its SQL.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../components/server-command";
import { type PlatformConfig, parsePlatformConfig } from "../../infra/config";
import { RUNTIME_DIR } from "../../infra/platform";
import {
    joomlaReleaseScript, mokowaasPrefix, mysqlAdminCreateScript, runtimeInstallScript, runtimePaths, runtimeStageScript,
} from "../../infra/server-scripts";

let tmp: string;
const sh = (script: string, input = "") => spawnSync("sh", ["-c", script], { input, encoding: "utf8" });
const calls = () => (fs.existsSync(path.join(tmp, "calls.log")) ? fs.readFileSync(path.join(tmp, "calls.log"), "utf8").trim().split("\n") : []);

function config(joomla: Record<string, string>): PlatformConfig {
    return parsePlatformConfig("test", {
        hostname: "test.mokowaas.example.net",
        server: { provider: "existing", address: "127.0.0.1" },
        ssh: { user: "tester", port: 2222 },
        mysql: { rootClient: `${tmp}/fake-mysql`, tunnelPort: null },
        paths: { root: `${tmp}/root`, runtimeDir: `${tmp}/opt`, php: `${tmp}/fake-php`, sudo: false },
        joomla,
    });
}

/** A Joomla package stand-in (tar.gz of one file) and its checksum. */
function makePackage(version: string): { url: string; sha256: string } {
    const src = path.join(tmp, `src-${version}`);
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, "index.php"), `<?php // joomla ${version}\n`);
    const pkg = path.join(tmp, `Joomla_${version}.tar.gz`);
    execFileSync("tar", ["-czf", pkg, "-C", src, "."]);
    return { url: `file://${pkg}`, sha256: createHash("sha256").update(fs.readFileSync(pkg)).digest("hex") };
}

beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-scripts-"));
    fs.writeFileSync(path.join(tmp, "fake-php"), `#!/bin/sh\nshift\necho "$*" >> ${tmp}/calls.log\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(tmp, "fake-mysql"), `#!/bin/sh\ncat > ${tmp}/admin.sql\n`, { mode: 0o755 });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("shellQuote", () => {
    it("round-trips any word through a real shell", () => {
        for (const word of ["plain", "with space", "it's", "$(rm -rf /)", "a\nb", "", "--flag=x", "`x`;|&"]) {
            expect(sh(`printf '%s' ${shellQuote(word)}`).stdout).toBe(word);
        }
    });
});

describe("MySQL admin account", () => {
    it("creates and re-keys the account with the password from stdin, which never appears in the script", () => {
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        const script = mysqlAdminCreateScript(c);
        expect(script).not.toContain("Secret123abc");
        const r = sh(script, "Secret123abc");
        expect(r.status).toBe(0);
        const sql = fs.readFileSync(path.join(tmp, "admin.sql"), "utf8").trim().split("\n");
        expect(sql).toEqual(
            ["127.0.0.1", "localhost"].flatMap((h) => [
                `CREATE USER IF NOT EXISTS 'mokowaas_admin'@'${h}' IDENTIFIED BY 'Secret123abc';`,
                `ALTER USER 'mokowaas_admin'@'${h}' IDENTIFIED BY 'Secret123abc';`,
                `GRANT ALL PRIVILEGES ON *.* TO 'mokowaas_admin'@'${h}' WITH GRANT OPTION;`,
            ]),
        );
    });

    it("refuses a password that could break out of SQL, running nothing", () => {
        fs.rmSync(path.join(tmp, "admin.sql"), { force: true });
        const r = sh(mysqlAdminCreateScript(config({ version: "6.0.4", ...makePackage("6.0.4") })), "x'; DROP USER root; --");
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("must be letters and digits");
        expect(fs.existsSync(path.join(tmp, "admin.sql"))).toBe(false);
    });
});

describe("runtime install", () => {
    it("stages, copies and swaps the runtime in; a re-run replaces it without leftovers", () => {
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        const p = runtimePaths(c);
        const deploy = () => {
            expect(sh(runtimeStageScript(c)).status).toBe(0);
            execFileSync("cp", ["-R", RUNTIME_DIR, p.staging]); // what CopyToRemote does into an existing folder
            const r = sh(runtimeInstallScript(c));
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
        };
        deploy();
        expect(fs.existsSync(p.cli)).toBe(true);
        fs.writeFileSync(path.join(p.dir, "stale.txt"), "old");
        deploy();
        expect(fs.existsSync(path.join(p.dir, "stale.txt"))).toBe(false);
        expect(fs.readdirSync(p.base).sort()).toEqual(["runtime"]);
        expect(fs.statSync(p.cli).mode & 0o022).toBe(0);
    });

    it("refuses to swap in a runtime whose copy did not complete", () => {
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        expect(sh(runtimeStageScript(c)).status).toBe(0);
        const r = sh(runtimeInstallScript(c));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the copy did not complete");
        expect(fs.existsSync(runtimePaths(c).cli)).toBe(true);
    });
});

describe("Joomla release", () => {
    const releases = () => path.join(tmp, "root/srv/mokowaas/releases");
    const current = () => path.join(tmp, "root/srv/mokowaas/current");

    it("installs the first release: verify, unpack, bootstrap, flip current, blueprint, migrate", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        const r = sh(joomlaReleaseScript(c));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const rel = `${releases()}/joomla-6.0.4`;
        expect(fs.readFileSync(`${rel}/index.php`, "utf8")).toContain("joomla 6.0.4");
        expect(fs.readlinkSync(current())).toBe(rel);
        expect(calls()).toEqual([`release bootstrap ${rel}`, `blueprint create --release ${rel}`, "migrate --all"]);
        expect(mokowaasPrefix(c)).toBe(`env MOKOWAAS_ROOT=${tmp}/root ${tmp}/fake-php ${tmp}/opt/runtime/bin/mokowaas`);
    });

    it("refuses a package whose checksum does not match, leaving the served release alone", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const pkg = makePackage("6.0.5");
        const r = sh(joomlaReleaseScript(config({ version: "6.0.5", url: pkg.url, sha256: "0".repeat(64) })));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("Joomla 6.0.5: checksum mismatch");
        expect(fs.existsSync(`${releases()}/joomla-6.0.5`)).toBe(false);
        expect(fs.readlinkSync(current())).toBe(`${releases()}/joomla-6.0.4`);
        expect(calls()).toEqual([]);
    });

    it("upgrades beside the old release, backing every tenant up before current flips", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const r = sh(joomlaReleaseScript(config({ version: "6.0.5", ...makePackage("6.0.5") })));
        expect(r.status).toBe(0);
        const rel = `${releases()}/joomla-6.0.5`;
        expect(fs.readlinkSync(current())).toBe(rel);
        expect(fs.existsSync(`${releases()}/joomla-6.0.4/index.php`)).toBe(true);
        expect(calls()).toEqual([`release bootstrap ${rel}`, "backup --all --tag pre-joomla-6.0.5", `blueprint create --release ${rel}`, "migrate --all"]);
    });

    it("re-runs without downloading again or backing up when the release is already current", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const c = config({ version: "6.0.5", url: `file://${tmp}/gone.tar.gz`, sha256: "1".repeat(64) });
        expect(sh(joomlaReleaseScript(c)).status).toBe(0);
        expect(calls()).toEqual([`release bootstrap ${releases()}/joomla-6.0.5`, `blueprint create --release ${releases()}/joomla-6.0.5`, "migrate --all"]);
    });
});
