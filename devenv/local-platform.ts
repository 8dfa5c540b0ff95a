/**
 * The local platform's config (Pulumi.local.yaml with this machine's paths, ports, toolchain and
 * verified Joomla package filled in) and its provisioning WITHOUT Pulumi: the same steps, in the
 * same order, as infra/platform.ts declares them, run here with `sh` instead of over SSH. The
 * shell scripts are infra/steps/'s own; the server CLI verbs and their stdin are the
 * same as the platform stack's. Secrets live in the local secrets folder (0600), never in argv.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   Pulumi.local.yaml's keys are free-form here: infra/config.ts validates them when the stack reads them. */
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { type PlatformConfig, parsePlatformConfig } from "../infra/config";
import { hashFolder } from "../infra/hash-folder";
import { mokowaasPrefix, runtimePaths, serverPaths } from "../infra/server-paths";
import { borgPassphraseScript } from "../infra/steps/borg-passphrase";
import { joomlaReleaseScript } from "../infra/steps/joomla-release";
import { mysqlAdminCreateScript } from "../infra/steps/mysql-admin";
import { platformInitCommand } from "../infra/steps/platform-init";
import { readyScript } from "../infra/steps/ready";
import { RUNTIME_DIR, runtimeInstallScript, runtimeStageScript } from "../infra/steps/runtime";
import { type LocalSettings, REPO, secret } from "./local-settings";
import { fpmFiles, fpmSocketDir } from "./php-fpm";
import { makeTraversable } from "./server-cli";
import { ensureSshdHostKey } from "./sshd";
import { type JoomlaPackage, joomlaPackage, serverPath, toolchain } from "./toolchain";

/** The Joomla release the local platform serves: its version (Pulumi.local.yaml) and verified package. */
export type LocalJoomla = JoomlaPackage & { version: string };

/** Letters and digits with at least one of each kind, like the platform's RandomPassword (safe in SQL, JSON and shell). */
export function randomPassword(length: number): string {
    const sets = ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"];
    const all = sets.join("");
    const chars = sets.map((set) => set[randomInt(set.length)]);
    while (chars.length < length) chars.push(all[randomInt(all.length)]);
    for (let i = chars.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    return chars.join("");
}

/** Pulumi.local.yaml's `mokowaas:` keys (without the prefix), as committed. */
export function committedLocalConfig(repo: string = REPO): Record<string, any> {
    const file = path.join(repo, "Pulumi.local.yaml");
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const raw: Record<string, any> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) if (k.startsWith("mokowaas:")) raw[k.slice("mokowaas:".length)] = v;
    return raw;
}

/** Pulumi.local.yaml's `mokowaas:` keys (without the prefix), with this machine's values filled in. */
export function localPlatformRaw(s: LocalSettings, joomla: LocalJoomla, extra: { sshHostKey?: string } = {}): Record<string, any> {
    const raw = committedLocalConfig(s.repo);
    const t = toolchain();
    raw.ssh = { ...raw.ssh, port: s.ports.ssh, privateKeyFile: s.paths.sshKey, ...(extra.sshHostKey ? { hostKey: extra.sshHostKey } : {}) };
    raw.mysql = {
        ...raw.mysql,
        serverPort: s.ports.mysql,
        rootClient: `${t.mysql.mysql} --protocol=socket --socket=${s.paths.mysqlSocket} --user=root`,
        tunnelPort: null,
    };
    // The server's PHP and MySQL clients are this machine's toolchain (PATH for mysqldump and borg).
    raw.paths = { ...raw.paths, root: s.paths.root, runtimeDir: s.paths.runtimeDir, php: t.php.bin, env: { ...raw.paths?.env, PATH: serverPath() } };
    // The verified package in the cache, through the same download-and-verify step as production.
    raw.joomla = { version: joomla.version, url: `file://${joomla.file}`, sha512: joomla.sha512 };
    // npm run local runs its own PHP-FPM and Caddy daemons: the platform installs neither, nor systemd timers.
    for (const service of ["phpFpm", "caddy", "timers"]) raw[service] = { ...raw[service], install: false };
    // The tenants' pools go to that PHP-FPM master (checked with its binary, reloaded through its
    // pid file); Caddy runs as root here, so root is the group that reaches their sockets and media.
    raw.phpFpm = { ...raw.phpFpm, binary: t.php.fpm, ...fpmFiles(s.paths.fpm), socketDir: fpmSocketDir(s.paths.root) };
    raw.caddy = { ...raw.caddy, group: "root" };
    return raw;
}

/** The local platform's validated config; its host key is the local sshd's (created when missing). */
export function localPlatformConfig(s: LocalSettings, joomla: LocalJoomla): PlatformConfig {
    return parsePlatformConfig("local", localPlatformRaw(s, joomla, { sshHostKey: ensureSshdHostKey(s.paths.sshd) }));
}

/** Runs one platform step's shell script here (the Pulumi mode runs the same over SSH). */
export function sh(step: string, script: string, stdin = ""): string {
    const r = spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8", env: { PATH: serverPath(), HOME: process.env.HOME ?? "/root" } });
    if (r.status !== 0) throw new Error(`platform step "${step}" failed (exit ${r.status}):\n${r.stderr}${r.stdout}`.trimEnd());
    return r.stdout;
}

/** Which steps ran with which inputs: a step reruns when its inputs change, as a Pulumi trigger would. */
class Steps {
    private readonly done: Record<string, string>;
    constructor(private readonly file: string) {
        this.done = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    }
    current(name: string, inputs: string): boolean {
        return this.done[name] === inputs;
    }
    record(name: string, inputs: string): void {
        this.done[name] = inputs;
        fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.done, null, 2));
        fs.renameSync(`${this.file}.tmp`, this.file);
    }
}

export interface ProvisionedPlatform {
    config: PlatformConfig;
    /** Command prefix of the server CLI, as the platform stack exports it. */
    mokowaas: string;
    adminPassword: string;
}

/**
 * ready -> MySQL admin account -> runtime (stage, copy, install) -> platform init -> Borg
 * passphrase -> Joomla release (checksum, unpack beside, bootstrap, flip `current`, blueprint,
 * migrate). PHP-FPM, Caddy and timers are not installed: npm run local runs its own daemons.
 */
export function provisionPlatform(s: LocalSettings, joomla: LocalJoomla, log: (line: string) => void): ProvisionedPlatform {
    const c = localPlatformConfig(s, joomla);
    const steps = new Steps(s.paths.steps);
    const adminPassword = secret(s, "mysql-admin-password", () => randomPassword(32));

    sh("ready", readyScript(c));
    sh("mysql-admin", mysqlAdminCreateScript(c), adminPassword);
    log(`  platform: MySQL admin account ${c.mysql.adminUser} (password in ${path.join(s.paths.secrets, "mysql-admin-password")})`);

    const runtimeHash = hashFolder(RUNTIME_DIR);
    const rt = runtimePaths(c);
    if (!steps.current("runtime", runtimeHash) || !fs.existsSync(rt.cli)) {
        sh("runtime-stage", runtimeStageScript(c));
        fs.cpSync(RUNTIME_DIR, path.join(rt.staging, "runtime"), { recursive: true }); // what CopyToRemote does over SSH
        sh("runtime-install", runtimeInstallScript(c));
        makeTraversable(rt.dir);
        steps.record("runtime", runtimeHash);
        log(`  platform: runtime installed in ${rt.dir}`);
    }

    sh("platform-init", platformInitCommand(c), adminPassword);
    makeTraversable(s.paths.root);
    sh("borg-passphrase", borgPassphraseScript(c), secret(s, "borg-passphrase", () => randomPassword(40)));

    const { releases, current } = serverPaths(c);
    const rel = `${releases}/joomla-${c.joomla.version}`;
    const inputs = JSON.stringify([c.joomla.version, c.joomla.url, c.joomla.sha512, runtimeHash]);
    if (!steps.current("joomla-release", inputs) || !fs.existsSync(rel) || !fs.existsSync(current)) {
        sh("joomla-release", joomlaReleaseScript(c));
        steps.record("joomla-release", inputs);
        log(`  platform: release ${rel} (Joomla ${c.joomla.version}, ${joomla.source} package) is current; blueprint built by its installer from ${rel}.dist`);
    }
    return { config: c, mokowaas: mokowaasPrefix(c), adminPassword };
}

/** The Joomla release of the local platform: the version Pulumi.local.yaml pins, and its verified package. */
export function localJoomla(repo: string = REPO): LocalJoomla {
    const version = String(committedLocalConfig(repo).joomla?.version ?? "");
    return { version, ...joomlaPackage(version) };
}
