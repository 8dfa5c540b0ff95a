/**
 * The platform steps' server scripts (infra/steps/), run for real with sh in a temporary
 * root: a stand-in `php` records the server CLI calls, a stand-in MySQL client records its SQL.
 */
import { fpmBinary } from "../../devenv/php-fpm";
import { phpBin } from "../../devenv/toolchain";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../components/server-command";
import { type PlatformConfig, parsePlatformConfig } from "../../infra/config";
import { mokowaasPrefix, runtimePaths } from "../../infra/server-paths";
import { borgPassphraseScript } from "../../infra/steps/borg-passphrase";
import { borgSshKeyScript } from "../../infra/steps/borg-ssh-key";
import { caddyInstallScript } from "../../infra/steps/caddy";
import { fleetUpgradeSummary, joomlaReleaseScript, releaseName } from "../../infra/steps/joomla-release";
import { mysqlAdminCreateScript } from "../../infra/steps/mysql-admin";
import { phpFpmInstallScript } from "../../infra/steps/php-fpm";
import { RUNTIME_DIR, runtimeInstallScript, runtimeStageScript } from "../../infra/steps/runtime";
import { timersInstallScript } from "../../infra/steps/timers";
import { HOST_KEY, fakePrivateKey } from "./helpers/platform-fixture";

let tmp: string;
const sh = (script: string, input = "") => spawnSync("sh", ["-c", script], { input, encoding: "utf8" });
const calls = () => (fs.existsSync(path.join(tmp, "calls.log")) ? fs.readFileSync(path.join(tmp, "calls.log"), "utf8").trim().split("\n") : []);

function config(joomla: Record<string, string>, extensions: Record<string, string>[] = []): PlatformConfig {
    return parsePlatformConfig("test", {
        extensions,
        hostname: "test.mokowaas.example.net",
        server: { provider: "existing", address: "127.0.0.1" },
        ssh: { user: "tester", port: 2222, hostKey: HOST_KEY },
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
    fs.mkdirSync(path.join(src, "installation"), { recursive: true });
    fs.writeFileSync(path.join(src, "installation", "joomla.php"), "<?php // installer\n");
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

    it("on an upgraded server, re-bootstraps every release and rebuilds the registry with the new runtime", () => {
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        const p = runtimePaths(c);
        const root = path.join(tmp, "root");
        const rel = path.join(tmp, "served-release"); // outside releases/: the release tests own that folder
        fs.mkdirSync(rel, { recursive: true });
        fs.mkdirSync(path.join(root, "srv/mokowaas"), { recursive: true });
        fs.mkdirSync(path.join(root, "etc/mokowaas"), { recursive: true });
        fs.symlinkSync(rel, path.join(root, "srv/mokowaas/current"));
        fs.writeFileSync(path.join(root, "etc/mokowaas/platform.php"), "<?php return [];\n");
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        try {
            expect(sh(runtimeStageScript(c)).status).toBe(0);
            execFileSync("cp", ["-R", RUNTIME_DIR, p.staging]);
            const r = sh(runtimeInstallScript(c));
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
            expect(calls()).toEqual(["release bootstrap --all", "registry rebuild"]);
        } finally {
            fs.rmSync(path.join(root, "srv/mokowaas/current"));
            fs.rmSync(rel, { recursive: true });
            fs.rmSync(path.join(root, "etc/mokowaas/platform.php"));
            fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        }
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

    it("installs the first release: verify, unpack (served copy without installer), bootstrap, flip current, blueprint from the published copy, migrate", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        const r = sh(joomlaReleaseScript(c));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const rel = `${releases()}/joomla-6.0.4`;
        expect(fs.readFileSync(`${rel}/index.php`, "utf8")).toContain("joomla 6.0.4");
        expect(fs.existsSync(`${rel}/installation`)).toBe(false);
        expect(fs.existsSync(`${rel}.dist/installation/joomla.php`)).toBe(true);
        expect(fs.readlinkSync(current())).toBe(rel);
        expect(calls()).toEqual([`release bootstrap ${rel}`, `blueprint create --release ${rel}.dist`, "upgrade --all --release joomla-6.0.4 --concurrency 1 --canary 1 --max-failures 0", "migrate --all"]);
        expect(mokowaasPrefix(c)).toBe(`env MOKOWAAS_ROOT=${tmp}/root ${tmp}/fake-php ${tmp}/opt/runtime/bin/mokowaas`);
    });

    it("refuses a package whose checksum does not match, leaving the served release alone", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const pkg = makePackage("6.0.5");
        const r = sh(joomlaReleaseScript(config({ version: "6.0.5", url: pkg.url, sha256: "0".repeat(64) })));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("Joomla 6.0.5: checksum mismatch");
        expect(fs.existsSync(`${releases()}/joomla-6.0.5`)).toBe(false);
        expect(fs.existsSync(`${releases()}/joomla-6.0.5.dist`)).toBe(false);
        expect(fs.readlinkSync(current())).toBe(`${releases()}/joomla-6.0.4`);
        expect(calls()).toEqual([]);
    });

    it("upgrades beside the old release: current flips for new tenants, then every tenant is moved with its own archive", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const r = sh(joomlaReleaseScript(config({ version: "6.0.5", ...makePackage("6.0.5") })));
        expect(r.status).toBe(0);
        const rel = `${releases()}/joomla-6.0.5`;
        expect(fs.readlinkSync(current())).toBe(rel);
        expect(fs.existsSync(`${releases()}/joomla-6.0.4/index.php`)).toBe(true);
        expect(calls()).toEqual([`release bootstrap ${rel}`, `blueprint create --release ${rel}.dist`, "upgrade --all --release joomla-6.0.5 --concurrency 1 --canary 1 --max-failures 0", "migrate --all"]);
    });

    it("finds the fleet upgrade's summary line in the step's output (the platform's joomlaUpgrade output)", () => {
        expect(fleetUpgradeSummary("cone: upgraded joomla-6.0.4 -> joomla-6.1.0\nupgrade to joomla-6.1.0: 1 upgraded in 7.1 s\nctwo: database up to date\n"))
            .toBe("upgrade to joomla-6.1.0: 1 upgraded in 7.1 s");
        expect(fleetUpgradeSummary("release: bootstrap installed\n")).toBe("");
    });

    it("re-runs without downloading again when the release is already current (upgrade --all finds nothing to move)", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const c = config({ version: "6.0.5", url: `file://${tmp}/gone.tar.gz`, sha256: "1".repeat(64) });
        expect(sh(joomlaReleaseScript(c)).status).toBe(0);
        expect(calls()).toEqual([`release bootstrap ${releases()}/joomla-6.0.5`, `blueprint create --release ${releases()}/joomla-6.0.5.dist`, "upgrade --all --release joomla-6.0.5 --concurrency 1 --canary 1 --max-failures 0", "migrate --all"]);
    });
});

describe("Joomla release with extensions", () => {
    const releases = () => path.join(tmp, "root/srv/mokowaas/releases");
    /** An extension package stand-in on the "server" and its SHA-512. */
    const makeExtension = (name: string, content: string) => {
        const file = path.join(tmp, `${name}-${content}.zip`);
        fs.writeFileSync(file, content);
        return { name, path: file, sha512: createHash("sha512").update(content).digest("hex") };
    };

    it("checks each package, installs them into the unpacked release before it is complete; the release id names the extension set", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const probe = makeExtension("probe", "v1");
        const c = config({ version: "6.0.7", ...makePackage("6.0.7") }, [probe]);
        const name = releaseName(c);
        expect(name).toMatch(/^joomla-6\.0\.7-x[0-9a-f]{12}$/);
        expect(releaseName(config({ version: "6.0.7", ...makePackage("6.0.7") }, [makeExtension("probe", "v2")]))).not.toBe(name);
        expect(releaseName(config({ version: "6.0.7", ...makePackage("6.0.7") }))).toBe("joomla-6.0.7");
        const r = sh(joomlaReleaseScript(c));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const rel = `${releases()}/${name}`;
        expect(fs.existsSync(`${rel}/index.php`)).toBe(true);
        expect(fs.existsSync(`${releases()}/joomla-6.0.7.dist/installation/joomla.php`)).toBe(true);
        const [ext, ...rest] = calls();
        expect(ext).toMatch(new RegExp(`^release extensions ${rel}\\.partial --dist ${releases()}/joomla-6\\.0\\.7\\.dist --package probe=${probe.sha512}:/\\S+/ext-0$`));
        expect(rest).toEqual([`release bootstrap ${rel}`, `blueprint create --release ${releases()}/joomla-6.0.7.dist`,
            `upgrade --all --release ${name} --concurrency 1 --canary 1 --max-failures 0`, "migrate --all"]);
    });

    it("refuses an extension package whose checksum does not match: no release, nothing installed or flipped", () => {
        fs.rmSync(path.join(tmp, "calls.log"), { force: true });
        const bad = { ...makeExtension("probe", "v3"), sha512: "0".repeat(128) };
        const c = config({ version: "6.0.8", ...makePackage("6.0.8") }, [bad]);
        const r = sh(joomlaReleaseScript(c));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("extension probe: checksum mismatch");
        expect(fs.existsSync(`${releases()}/${releaseName(c)}`)).toBe(false);
        expect(calls()).toEqual([]);
    });
});

describe("Borg passphrase", () => {
    const file = () => path.join(tmp, "root/etc/mokowaas/borg.passphrase");

    it("writes the passphrase from stdin to a 0600 file; the script never holds it", () => {
        const c = config({ version: "6.0.4", ...makePackage("6.0.4") });
        const script = borgPassphraseScript(c);
        expect(script).not.toContain("BorgSecret42");
        const r = sh(script, "BorgSecret42");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(fs.readFileSync(file(), "utf8")).toBe("BorgSecret42");
        expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
        expect(sh(script, "BorgSecret42").status).toBe(0); // a re-run with the same passphrase is a no-op
    });

    it("never replaces an existing passphrase with another one", () => {
        const r = sh(borgPassphraseScript(config({ version: "6.0.4", ...makePackage("6.0.4") })), "OtherSecret7");
        expect(r.status).toBe(6);
        expect(r.stderr).toContain("exists and holds another passphrase; it is kept");
        expect(r.stderr).toContain("mokowaas:borgPassphrase");
        expect(r.stderr).not.toContain("BorgSecret42");
        expect(fs.readFileSync(file(), "utf8")).toBe("BorgSecret42");
    });

    it("refuses a passphrase that is not letters and digits, writing nothing", () => {
        fs.rmSync(file());
        const r = sh(borgPassphraseScript(config({ version: "6.0.4", ...makePackage("6.0.4") })), "a'b; rm -rf /");
        expect(r.status).toBe(3);
        expect(fs.existsSync(file())).toBe(false);
    });
});

describe("off-site Borg key", () => {
    const file = () => path.join(tmp, "root/etc/mokowaas/borg.ssh-key");
    const key = fakePrivateKey("b3BlbnNzaC1rZXktdjEAAAAAborgkey");

    it("writes the key from stdin to a 0600 file (the script never holds it), replacing an older one", () => {
        const script = borgSshKeyScript(config({ version: "6.0.4", ...makePackage("6.0.4") }));
        expect(script).not.toContain("borgkey");
        for (const k of [fakePrivateKey("old"), key]) {
            const r = sh(script, k);
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
        }
        expect(fs.readFileSync(file(), "utf8")).toBe(key);
        expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
    });

    it("refuses what is not an OpenSSH private key, keeping the key it has", () => {
        const r = sh(borgSshKeyScript(config({ version: "6.0.4", ...makePackage("6.0.4") })), "ssh-ed25519 AAAA public-half");
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("must be an OpenSSH private key");
        expect(fs.readFileSync(file(), "utf8")).toBe(key);
    });
});

/** This machine's PHP, whose php-fpm<version> checks the pool as the server's would. */
const PHP_VERSION = execFileSync(phpBin(), ["-r", 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;'], { encoding: "utf8" });

describe("services: Caddy, PHP-FPM, timers (real caddy validate and php-fpm -t; systemctl recorded)", () => {
    let bin: string;
    const run = (script: string) => spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const systemctl = () => (fs.existsSync(path.join(tmp, "systemctl.log")) ? fs.readFileSync(path.join(tmp, "systemctl.log"), "utf8").trim().split("\n") : []);
    const resetSystemctl = () => fs.rmSync(path.join(tmp, "systemctl.log"), { force: true });
    function services(extra: Record<string, unknown> = {}): PlatformConfig {
        return parsePlatformConfig("test", {
            hostname: "test.mokowaas.example.net",
            server: { provider: "existing", address: "127.0.0.1" },
            ssh: { user: "tester", hostKey: HOST_KEY },
            mysql: { tunnelPort: null },
            paths: { root: `${tmp}/root`, runtimeDir: `${tmp}/opt`, php: "/usr/bin/php", sudo: false, systemdDir: `${tmp}/systemd`, sysctlDir: `${tmp}/sysctl.d` },
            caddy: { configDir: `${tmp}/etc/caddy`, httpPort: 8080, httpsPort: 8443, httpsSuffix: ":8443", acmeEmail: "ops@example.net" },
            phpFpm: { version: PHP_VERSION, confDir: `${tmp}/php/fpm`, listen: `${tmp}/run/fpm.sock`, binary: fpmBinary() },
            joomla: { version: "6.0.4", url: "file:///nowhere.tar.gz", sha256: "0".repeat(64) },
            ...extra,
        });
    }

    beforeAll(() => {
        bin = path.join(tmp, "bin");
        fs.mkdirSync(bin, { recursive: true });
        // `is-active` answers "running" so the scripts reload rather than start.
        fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$*" >> ${tmp}/systemctl.log\n`, { mode: 0o755 });
        // The kernel setting is the machine's: recorded, not applied.
        fs.writeFileSync(path.join(bin, "sysctl"), `#!/bin/sh\necho "$*" >> ${tmp}/sysctl.log\n`, { mode: 0o755 });
        fs.mkdirSync(`${tmp}/php/fpm/pool.d`, { recursive: true });
        fs.writeFileSync(`${tmp}/php/fpm/php-fpm.conf`, `[global]\nerror_log = ${tmp}/php/fpm.log\ninclude = ${tmp}/php/fpm/pool.d/*.conf\n`);
    });

    it("Caddy: installs the Caddyfile, its environment and the ACME email, validated by caddy itself, then reloads", () => {
        resetSystemctl();
        const c = services();
        const r = run(caddyInstallScript(c));
        expect(r.stderr).not.toContain("invalid");
        expect(r.status).toBe(0);
        expect(fs.readFileSync(`${tmp}/etc/caddy/Caddyfile`, "utf8")).toBe(fs.readFileSync(path.join(RUNTIME_DIR, "caddy/Caddyfile"), "utf8"));
        expect(fs.readFileSync(`${tmp}/etc/caddy/mokowaas-globals.d/acme-email`, "utf8")).toBe("email ops@example.net\n");
        const dropIn = fs.readFileSync(`${tmp}/systemd/caddy.service.d/mokowaas.conf`, "utf8");
        expect(dropIn).toContain(`Environment="MOKOWAAS_ROOT=${tmp}/root"`);
        expect(dropIn).toContain('Environment="MOKOWAAS_HTTP_PORT=8080"');
        expect(dropIn).toContain('Environment="MOKOWAAS_HTTPS_SUFFIX=:8443"');
        expect(dropIn).toContain(`Environment="MOKOWAAS_PHP_FPM=unix/${tmp}/run/fpm.sock"`);
        expect(dropIn).toContain(`Environment="MOKOWAAS_CADDY_GLOBALS=${tmp}/etc/caddy/mokowaas-globals.d/*"`);
        // A new environment means a restart (the admin endpoint may have moved).
        expect(systemctl()).toEqual(["daemon-reload", "restart caddy.service", "enable --quiet caddy.service", "is-active --quiet caddy.service"]);
        expect(fs.readFileSync(`${tmp}/sysctl.d/60-mokowaas-caddy.conf`, "utf8")).toContain("net.ipv4.tcp_migrate_req = 1\n");
        expect(fs.readFileSync(`${tmp}/sysctl.log`, "utf8")).toBe(`-q -p ${tmp}/sysctl.d/60-mokowaas-caddy.conf\n`);
    });

    it("Caddy: an unchanged config touches nothing; a changed Caddyfile alone reloads", () => {
        resetSystemctl();
        expect(run(caddyInstallScript(services())).status).toBe(0);
        expect(systemctl()).toEqual(["enable --quiet caddy.service", "is-active --quiet caddy.service"]);
        resetSystemctl();
        fs.appendFileSync(`${tmp}/etc/caddy/Caddyfile`, "# edited by hand\n");
        expect(run(caddyInstallScript(services())).status).toBe(0);
        expect(fs.readFileSync(`${tmp}/etc/caddy/Caddyfile`, "utf8")).not.toContain("edited by hand");
        expect(systemctl()).toEqual(["is-active --quiet caddy.service", "reload caddy.service", "enable --quiet caddy.service", "is-active --quiet caddy.service"]);
    });

    it("Caddy: removes the ACME email when it is no longer configured", () => {
        const { acmeEmail: _, ...caddy } = services().caddy;
        expect(run(caddyInstallScript(services({ caddy }))).status).toBe(0);
        expect(fs.existsSync(`${tmp}/etc/caddy/mokowaas-globals.d/acme-email`)).toBe(false);
    });

    it("Caddy: a configuration caddy rejects is rolled back and nothing reloads", () => {
        resetSystemctl();
        const before = fs.readFileSync(`${tmp}/systemd/caddy.service.d/mokowaas.conf`, "utf8");
        // An ACME email file caddy cannot parse stands in for any invalid configuration.
        const script = caddyInstallScript(services()).replace("email ops@example.net", "email {");
        const r = run(script);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("Caddy: the new configuration is invalid (see above); the previous files were put back");
        expect(fs.existsSync(`${tmp}/etc/caddy/mokowaas-globals.d/acme-email`)).toBe(false);
        expect(fs.readFileSync(`${tmp}/systemd/caddy.service.d/mokowaas.conf`, "utf8")).toBe(before);
        expect(systemctl()).toEqual([]);
    });

    it("PHP-FPM: installs the pool for the platform's user, socket and root, checked by php-fpm -t, then reloads", () => {
        resetSystemctl();
        const r = run(phpFpmInstallScript(services()));
        expect(r.stderr).toContain("test is successful");
        expect(r.status).toBe(0);
        const pool = fs.readFileSync(`${tmp}/php/fpm/pool.d/mokowaas.conf`, "utf8");
        expect(pool).toContain(`\nlisten = ${tmp}/run/fpm.sock\n`);
        expect(pool).toContain(`\nenv[MOKOWAAS_ROOT] = ${tmp}/root\n`);
        expect(pool).toContain("\nuser = www-data\n");
        // It reaches only the releases, the host map and the certificate cap's files, and includes every tenant's own pool.
        expect(pool).toContain(`\nphp_admin_value[open_basedir] = ${tmp}/root/srv/mokowaas/releases/:${tmp}/root/etc/mokowaas/registry/hosts.php`
            + `:${tmp}/root/etc/mokowaas/certificate-cap.php:${tmp}/root/var/lib/mokowaas/certificates/\n`);
        expect(pool).toContain(`\ninclude = ${tmp}/root/etc/mokowaas/fpm/*.conf\n`);
        expect(pool).toContain("\nlisten.group = caddy\n");
        const ini = fs.readFileSync(`${tmp}/php/fpm/conf.d/90-mokowaas.ini`, "utf8");
        const maxFiles = Number(/^opcache\.max_accelerated_files\s*=\s*(\d+)/m.exec(ini)?.[1]);
        // One release (~10k scripts) plus 10,000 tenant entry files and the host map.
        expect(maxFiles).toBeGreaterThanOrEqual(30_000);
        const unit = `php${PHP_VERSION}-fpm`;
        expect(systemctl()).toEqual([`is-active --quiet ${unit}`, `reload ${unit}`, `enable --quiet ${unit}`, `is-active --quiet ${unit}`]);
    });

    it("PHP-FPM: a pool php-fpm rejects is rolled back and nothing reloads", () => {
        resetSystemctl();
        const good = fs.readFileSync(`${tmp}/php/fpm/pool.d/mokowaas.conf`, "utf8");
        const r = run(phpFpmInstallScript(services({ phpUser: "no-such-user-here" })));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("PHP-FPM: the new configuration is invalid");
        expect(fs.readFileSync(`${tmp}/php/fpm/pool.d/mokowaas.conf`, "utf8")).toBe(good);
        expect(systemctl()).toEqual([]);
    });

    it("timers: the units run the configured PHP and CLI with the platform's root; systemd reloads; timers enabled", () => {
        resetSystemctl();
        const c = services({ paths: { root: `${tmp}/root`, runtimeDir: "/srv/moko", php: "/usr/bin/php8.3", sudo: false, systemdDir: `${tmp}/systemd`, sysctlDir: `${tmp}/sysctl.d`, env: { PATH: "/usr/local/bin:/usr/bin:/bin" } } });
        expect(run(timersInstallScript(c)).status).toBe(0);
        const backup = fs.readFileSync(`${tmp}/systemd/mokowaas-backup.service`, "utf8");
        expect(backup).toContain("ExecStart=/usr/bin/php8.3 /srv/moko/runtime/bin/mokowaas backup --all\n");
        expect(backup).toContain("ExecStart=/usr/bin/php8.3 /srv/moko/runtime/bin/mokowaas prune --all\n");
        expect(backup).toContain(`Environment="MOKOWAAS_ROOT=${tmp}/root"`);
        expect(backup).toContain(`Environment="BORG_BASE_DIR=${tmp}/root/var/lib/mokowaas/borg"`);
        expect(backup).toContain('Environment="PATH=/usr/local/bin:/usr/bin:/bin"');
        expect(backup).not.toContain("/opt/mokowaas");
        expect(fs.readFileSync(`${tmp}/systemd/mokowaas-health.service`, "utf8")).toContain("ExecStart=/usr/bin/php8.3 /srv/moko/runtime/bin/mokowaas health --prometheus ");
        expect(fs.readFileSync(`${tmp}/systemd/mokowaas-backup.timer`, "utf8")).toBe(fs.readFileSync(path.join(RUNTIME_DIR, "systemd/mokowaas-backup.timer"), "utf8"));
        expect(fs.readFileSync(`${tmp}/systemd/mokowaas-drill.service`, "utf8")).toContain("ExecStart=/usr/bin/php8.3 /srv/moko/runtime/bin/mokowaas drill\n");
        expect(systemctl()).toEqual(["daemon-reload", "enable --now --quiet mokowaas-backup.timer mokowaas-drill.timer mokowaas-health.timer"]);
    });
});
