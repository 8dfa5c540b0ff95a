/**
 * Operator config on its way into the server's shell (infra/steps/, infra/server-paths.ts):
 * validated first (infra/config.ts refuses what no key of its kind needs, naming the key), then
 * quoted in every script by the one helper, shellQuote. The last part proves the quoting alone:
 * with validation bypassed and every config string hostile, each step's script runs under bash
 * and dash and nothing injected ever executes.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../components/server-command";
import { type PlatformConfig, PlatformConfigError, parsePlatformConfig } from "../../infra/config";
import { installFilesScript } from "../../infra/install-files";
import { runtimePaths } from "../../infra/server-paths";
import { borgPassphraseScript } from "../../infra/steps/borg-passphrase";
import { caddyInstallScript } from "../../infra/steps/caddy";
import { joomlaReleaseScript } from "../../infra/steps/joomla-release";
import { mysqlAdminCreateScript, mysqlAdminDeleteScript } from "../../infra/steps/mysql-admin";
import { phpFpmInstallScript } from "../../infra/steps/php-fpm";
import { platformInitCommand } from "../../infra/steps/platform-init";
import { readyScript } from "../../infra/steps/ready";
import { RUNTIME_DIR, runtimeInstallScript, runtimeStageScript } from "../../infra/steps/runtime";
import { timersInstallScript } from "../../infra/steps/timers";
import { HOST_KEY } from "./helpers/platform-fixture";

/** The shells a script meets: bash (the SSH user's login shell on Ubuntu) and dash (/bin/sh). */
const SHELLS = ["bash", "sh"] as const;

describe("shellQuote through real shells", () => {
    const words = [
        "plain", "", "with space", "it's", "'", "''", '"', "a\"b'c", "$(touch /tmp/x)", "`touch /tmp/x`", "${HOME}", "$HOME",
        "a\nb", "\n", "trailing\n", "tab\there", "back\\slash", "!event", "*", "?", "[a]", "~", "~root", "#comment", "a;b", "a|b", "a&b",
        "<in", ">out", "(sub)", "{a,b}", "--flag=x", "-n", "%", "é ü 漢字", "\u0001\u007f", "x'; touch /tmp/x; echo '",
    ];

    it.each(SHELLS)("round-trips every word unchanged through `%s -c`", (shell) => {
        for (const word of words) {
            const r = spawnSync(shell, ["-c", `printf '%s' ${shellQuote(word)}`], { encoding: "utf8" });
            expect({ word, out: r.stdout, status: r.status }).toEqual({ word, out: word, status: 0 });
        }
    });

    it.each(SHELLS)("keeps several quoted words apart as separate arguments (%s)", (shell) => {
        const args = ["a b", "", "c'd", "$(e)"];
        const r = spawnSync(shell, ["-c", `for a in ${args.map(shellQuote).join(" ")}; do printf '[%s]' "$a"; done`], { encoding: "utf8" });
        expect(r.stdout).toBe(args.map((a) => `[${a}]`).join(""));
    });

    it("leaves plain words readable", () => {
        expect(shellQuote("/opt/mokowaas/runtime/bin/mokowaas")).toBe("/opt/mokowaas/runtime/bin/mokowaas");
        expect(shellQuote("MOKOWAAS_ROOT=/")).toBe("MOKOWAAS_ROOT=/");
    });
});

describe("platform config refuses values that would reach the shell unsafely", () => {
    const base = {
        hostname: "p.mokowaas.example.net",
        server: { provider: "existing", address: "203.0.113.7", ipv4: "203.0.113.7" },
        ssh: { hostKey: HOST_KEY },
        joomla: { version: "6.0.4", url: "https://downloads.example.com/Joomla_6.0.4.tar.zst", sha256: "0".repeat(64) },
    };
    /** base with `value` at the dotted `key`. */
    function withValue(key: string, value: unknown): Record<string, unknown> {
        const raw = JSON.parse(JSON.stringify(base)) as Record<string, any>;
        const parts = key.split(".");
        let at = raw;
        for (const p of parts.slice(0, -1)) at = at[p] ??= {};
        at[parts[parts.length - 1]] = value;
        return raw;
    }
    function problems(raw: Record<string, unknown>): string[] {
        try {
            parsePlatformConfig("p", raw);
            return [];
        } catch (e) {
            if (e instanceof PlatformConfigError) return e.problems;
            throw e;
        }
    }

    const injections = (prefix: string) => [`${prefix}$(touch /tmp/x)`, `${prefix}$(id)`, `${prefix}\`id\``, `${prefix}it's`, `${prefix}a"b`, `${prefix}a\nb`];
    const cases: [string, string[]][] = [
        ["joomla.url", [...injections("https://downloads.example.com/"), "ftp://example.com/j.zip", "https://exa mple.com/j.zip", "javascript:alert(1)"]],
        ["webUrl", [...injections("https://example.com/"), "file:///etc/passwd"]],
        ["paths.root", [...injections("/srv/"), "relative/path", "/srv/a:b"]],
        ["paths.runtimeDir", [...injections("/opt/"), "opt/mokowaas"]],
        ["paths.systemdDir", injections("/etc/systemd/")],
        ["paths.php", [...injections("/usr/bin/"), "php -d x=1", "-php"]],
        ["paths.env.PATH", injections("/usr/bin:")],
        ["mysql.tenantUserHost", [...injections("10.0.0.5"), "host name", "%.example.com", ""]],
        ["mysql.serverHost", [...injections("127.0.0.1"), "-oProxyCommand=x"]],
        ["mysql.rootClient", [...injections("mysql --user=root "), "mysql;id", "mysql  --double-space", "mysql | tee /tmp/x", ""]],
        ["phpUser", [...injections("www-data"), "Www"]],
        ["borgRepo", injections("ssh://borg@backup.example.net/./repo")],
        ["caddy.configDir", injections("/etc/caddy")],
        ["caddy.service", [...injections("caddy"), "caddy;reboot"]],
        ["caddy.admin", [...injections("localhost:2019"), "localhost:2019}"]],
        ["phpFpm.binary", injections("/usr/sbin/php-fpm")],
        ["phpFpm.config", injections("/etc/php/8.3/fpm/")],
        ["phpFpm.pidFile", injections("/run/php/")],
        ["phpFpm.socketDir", injections("/run/")],
        ["phpFpm.confDir", injections("/etc/php/")],
        ["phpFpm.listen", injections("/run/php/")],
        ["server.address", [...injections("203.0.113.7"), "-oProxyCommand=touch"]],
        ["ssh.hostKey", injections(`${HOST_KEY} `)],
    ];

    it.each(cases)("%s: refuses each hostile value with a message naming the key", (key, values) => {
        for (const value of values) {
            const found = problems(withValue(key, value));
            expect({ value, named: found.some((p) => p.startsWith(`mokowaas:${key}: `)) }, found.join("\n")).toEqual({ value, named: true });
        }
    });

    it("still accepts the values real platforms use", () => {
        const ok: [string, unknown][] = [
            ["joomla.url", "https://github.com/joomla/joomla-cms/releases/download/6.0.4/Joomla_6.0.4-Stable-Full_Package.tar.zst"],
            ["joomla.url", "file:///tmp/mokowaas-local/packages/Joomla_6.0.4-Stable-Full_Package.tar.zst"],
            ["webUrl", "https://prod.mokowaas.example.net/status?x=1&y=2"],
            ["paths.root", "/"], ["paths.root", "/tmp/mokowaas-e2e.Ab12_x/root"], ["paths.runtimeDir", "/opt/mokowaas"],
            ["paths.php", "php"], ["paths.php", "php8.3"], ["paths.php", "/usr/bin/php8.3"],
            ["paths.env.PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            ["mysql.tenantUserHost", "%"], ["mysql.tenantUserHost", "localhost"], ["mysql.tenantUserHost", "10.0.0.5"],
            ["mysql.tenantUserHost", "::1"], ["mysql.tenantUserHost", "web1.internal"],
            ["mysql.serverHost", "db.internal"], ["mysql.serverHost", "127.0.0.1"],
            ["mysql.rootClient", "mysql"], ["mysql.rootClient", "mysql --protocol=socket --socket=/tmp/mokowaas-local/mysql/mysqld.sock --user=root"],
            ["mysql.rootClient", "/usr/bin/mysql --defaults-file=/root/.my.cnf"],
            ["borgRepo", "ssh://borg@backup.example.net:23/./mokowaas"], ["borgRepo", "/var/backups/borg"],
            ["caddy.admin", "off"], ["caddy.admin", "unix//run/caddy-admin.sock"], ["caddy.service", "caddy-api"],
            ["server.address", "server1.example.net"], ["server.address", "2001:db8::7"],
        ];
        for (const [key, value] of ok) {
            // An ssh:// repository comes with the backup host's pinned key (its own rule, below).
            const raw = { ...withValue(key, value), ...(String(value).startsWith("ssh://") ? { borgHostKey: HOST_KEY } : {}) };
            expect({ key, value, problems: problems(raw) }).toEqual({ key, value, problems: [] });
        }
    });

    it("an ssh:// borgRepo needs the backup host's key, pinned; a local one takes none", () => {
        const remote = withValue("borgRepo", "ssh://borg@backup.example.net:23/./mokowaas");
        expect(problems(remote)).toEqual([expect.stringMatching(/^mokowaas:borgHostKey: is required for an ssh:\/\/ borgRepo/)]);
        expect(problems({ ...remote, borgHostKey: "ssh-ed25519 AAAA" })).toEqual([expect.stringMatching(/^mokowaas:borgHostKey: /)]);
        expect(problems({ ...withValue("borgRepo", "/var/backups/borg"), borgHostKey: HOST_KEY })).toEqual(["mokowaas:borgHostKey: is only for an ssh:// borgRepo (the backup host's key)"]);
        for (const bad of ["backups/borg", "borg@backup.example.net:repo", "ssh://backup.example.net/repo"]) {
            expect(problems(withValue("borgRepo", bad)), bad).toContainEqual(expect.stringMatching(/^mokowaas:borgRepo: must be an absolute path or ssh:\/\//));
        }
    });
});

describe("the steps' scripts with every config string hostile (validation bypassed)", () => {
    let tmp: string;
    let canary: string;
    let stubs: string;
    /** Appended to every string of the config: an injection for each way a value could be mis-quoted. */
    let hostile: string;

    beforeAll(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-hostile-"));
        canary = path.join(tmp, "CANARY");
        const touch = `/usr/bin/touch ${canary}`;
        hostile = `$(${touch})\`${touch}\`';${touch};'";${touch};"\n${touch}\nSQL\n${touch}\n`;
        // Services and downloads are stand-ins; file tools, env, cat and sh are the real ones.
        stubs = path.join(tmp, "stubs");
        fs.mkdirSync(stubs);
        for (const cmd of ["systemctl", "caddy", "curl", "sha256sum", "sha512sum", "tar", "unzip", "sudo"]) {
            fs.writeFileSync(path.join(stubs, cmd), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        }
    });
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** Every string leaf (keys of paths.env too) gets the hostile suffix; the provider stays (it picks the code path). */
    function poison<T>(value: T, key = ""): T {
        if (typeof value === "string") return (key === "server.provider" ? value : value + hostile) as T;
        if (Array.isArray(value)) return value.map((v) => poison(v, key)) as T;
        if (value && typeof value === "object") {
            return Object.fromEntries(
                Object.entries(value).map(([k, v]) => [key === "paths.env" ? k + hostile : k, poison(v, key ? `${key}.${k}` : k)]),
            ) as T;
        }
        return value;
    }

    /** A stand-in program at `file` (a hostile path, so its folders are created too). */
    function stub(file: string, body = "exit 0"): void {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }

    function hostileConfig(): PlatformConfig {
        const valid = parsePlatformConfig("hostile", {
            hostname: "hostile.mokowaas.example.net",
            server: { provider: "existing", address: "127.0.0.1" },
            ssh: { user: "tester", hostKey: HOST_KEY },
            mysql: { rootClient: `${tmp}/bin/mysql --user=root`, tunnelPort: null },
            paths: { root: `${tmp}/root`, runtimeDir: `${tmp}/opt`, php: `${tmp}/bin/php`, sudo: false, systemdDir: `${tmp}/systemd`, sysctlDir: `${tmp}/sysctl.d`, env: { PATH: "/usr/bin:/bin" } },
            phpUser: "www-data",
            borgRepo: `${tmp}/borg`,
            webUrl: "https://hostile.mokowaas.example.net/",
            caddy: { configDir: `${tmp}/caddy`, acmeEmail: "ops@example.net" },
            phpFpm: { confDir: `${tmp}/fpm`, binary: `${tmp}/bin/php-fpm`, config: `${tmp}/fpm/php-fpm.conf`, pidFile: `${tmp}/run/fpm.pid`, socketDir: `${tmp}/run`, listen: `${tmp}/run/fpm.sock` },
            joomla: { version: "6.0.4", url: `file://${tmp}/joomla.tar.gz`, sha256: "0".repeat(64) },
        });
        const c = poison(valid);
        // The hostile programs exist, so each script runs on past them.
        stub(c.paths.php);
        stub(c.phpFpm.binary!);
        stub(c.mysql.rootClient.split(" ")[0], "cat >/dev/null");
        return c;
    }

    it.each(SHELLS)("runs each step to its end under %s, and nothing injected runs", (shell) => {
        for (const entry of fs.readdirSync(tmp).filter((e) => e !== "stubs")) fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
        const c = hostileConfig();
        const run = (step: string, script: string, input = "", status = 0) => {
            const r = spawnSync(shell, ["-c", script], { input, encoding: "utf8", cwd: tmp, env: { PATH: `${stubs}:/usr/bin:/bin`, HOME: tmp, TMPDIR: tmp } });
            expect({ step, canary: fs.existsSync(canary) }).toEqual({ step, canary: false });
            expect({ step, status: r.status, stderr: r.stderr }).toEqual({ step, status, stderr: expect.any(String) });
            return r.stderr;
        };
        run("ready", readyScript(c));
        run("mysql-admin", mysqlAdminCreateScript(c), "AdminPassword123");
        run("runtime-stage", runtimeStageScript(c));
        fs.cpSync(RUNTIME_DIR, path.join(runtimePaths(c).staging, "runtime"), { recursive: true }); // what CopyToRemote does
        run("runtime-install", runtimeInstallScript(c));
        run("platform-init", platformInitCommand(c), "AdminPassword123");
        run("borg-passphrase", borgPassphraseScript(c), "BorgPassphrase123");
        run("joomla-release", joomlaReleaseScript(c));
        run("php-fpm", phpFpmInstallScript(c));
        run("caddy", caddyInstallScript(c));
        run("timers", timersInstallScript(c));
        run("mysql-admin (delete)", mysqlAdminDeleteScript(c));
        // The failure paths, whose messages name config values too.
        expect(run("runtime-install (no copy)", runtimeInstallScript(c), "", 1)).toContain("the copy did not complete");
        fs.rmSync(path.join(c.paths.root, "srv"), { recursive: true });
        fs.writeFileSync(path.join(stubs, "sha256sum"), "#!/bin/sh\nexit 1\n");
        try {
            expect(run("joomla-release (bad checksum)", joomlaReleaseScript(c), "", 1)).toContain("checksum mismatch");
        } finally {
            fs.writeFileSync(path.join(stubs, "sha256sum"), "#!/bin/sh\nexit 0\n");
        }
        // The runs really went through the hostile paths (not around them).
        expect(fs.readFileSync(path.join(c.caddy.configDir, "Caddyfile"), "utf8")).toBe(fs.readFileSync(path.join(RUNTIME_DIR, "caddy/Caddyfile"), "utf8"));
        expect(fs.readFileSync(path.join(c.paths.root, "etc/mokowaas/borg.passphrase"), "utf8")).toBe("BorgPassphrase123");
    });

    it("refuses a file whose content would end the here-document that carries it", () => {
        expect(() => installFilesScript([{ path: "/etc/x", content: `a\nMOKOWAAS_FILE_EOF\n${"/usr/bin/touch /tmp/x"}\n` }], { sudo: "", what: "x" })).toThrow(
            "/etc/x: content holds the line MOKOWAAS_FILE_EOF",
        );
    });
});
