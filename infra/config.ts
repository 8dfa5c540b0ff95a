/**
 * The platform stack's configuration (namespace `mokowaas:`): its schema, defaults and
 * validation. docs/config.md documents every key; keep the two in step.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { z } from "zod";
import { hostProblem } from "../components/hosts";
import { hostKeyProblem } from "./host-key";

const hostName = z.string().superRefine((value, ctx) => {
    const problem = hostProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});
/** Local port of a platform's MySQL tunnel when mokowaas:mysql.tunnelPort is not set. */
export const DEFAULT_TUNNEL_PORT = 13306;
const port = z.number().int().min(1).max(65535);
const cidr = z.union([z.cidrv4(), z.cidrv6()], { error: "must be a CIDR block such as 203.0.113.7/32 or 2001:db8::/64" });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be the 64 lowercase hex digits of a SHA-256 checksum");
/** A platform extension's name (runtime/src/ReleaseExtensions.php NAME). */
export const EXTENSION_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const sha512 = z.string().regex(/^[0-9a-f]{128}$/, "must be the 128 lowercase hex digits of a SHA-512 checksum");

const Hetzner = z.strictObject({
    provider: z.literal("hetzner"),
    name: z.string().optional(),
    serverType: z.string().default("cx23"),
    location: z.string().default("fsn1"),
    image: z.string().default("ubuntu-24.04"),
    /** Hetzner delete/rebuild protection and Pulumi `protect` on the server. */
    protect: z.boolean().default(true),
});
const DigitalOcean = z.strictObject({
    provider: z.literal("digitalocean"),
    name: z.string().optional(),
    size: z.string().default("s-2vcpu-4gb"),
    region: z.string().default("fra1"),
    image: z.string().default("ubuntu-24-04-x64"),
    protect: z.boolean().default(true),
});
/*
 * Values that reach shell scripts, systemd units, PHP-FPM and Caddy config on the server. Every
 * script quotes them (shellQuote); these rules keep each value to what its kind needs, so that
 * none can also break the formats that cannot quote (a ":" in open_basedir, a "}" in the
 * Caddyfile, a newline anywhere).
 */
const absPath = z.string().regex(/^\/[A-Za-z0-9._@+,/-]*$/, "must be an absolute path of letters, digits and . _ - @ + , / (no spaces, quotes, $, : or newlines)");
/** Values that go into systemd Environment= lines and Caddy placeholders. */
const plainValue = z.string().regex(/^[A-Za-z0-9._@%+=:,/-]*$/, "must be letters, digits and . _ - @ % + = : , / only (no spaces, quotes, $, braces or newlines)");
/** A program: an absolute path or a name looked up in PATH. */
const program = z.string().regex(/^(?:\/[A-Za-z0-9._@+,/-]*|[A-Za-z0-9_][A-Za-z0-9._@+,-]*)$/, "must be a program name or an absolute path (letters, digits and . _ - @ + , /)");
/** A command line of plain words (mysql.rootClient): the program, then its options. */
const commandLine = z.string().regex(
    /^[A-Za-z0-9_/][A-Za-z0-9._@%+=:,/-]*(?: [A-Za-z0-9._@%+=:,/-]+)*$/,
    "must be a command of plain words separated by single spaces (letters, digits and . _ - @ % + = : , /), e.g. mysql --defaults-file=/root/.my.cnf",
);
/** URL characters of RFC 3986 except quotes and $ (no whitespace, no shell expansion even unquoted). */
const URL_CHARS = "[A-Za-z0-9._~:/?#\\[\\]@!&()*+,;=%-]+";
const url = (schemes: string[], what: string) =>
    z.string().superRefine((value, ctx) => {
        const ok = new RegExp(`^(?:${schemes.join("|")})://${URL_CHARS}$`).test(value) && URL.canParse(value);
        if (!ok) ctx.addIssue({ code: "custom", message: `must be ${what} (${schemes.map((s) => `${s}://`).join(" or ")}), without spaces, quotes or $` });
    });
const unixName = (what: string) => z.string().regex(/^[a-z_][a-z0-9_-]*$/, `must be a Unix ${what} name`);
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A name or address the server or the control machine connects to: DNS name (any label count), IPv4 or IPv6. */
function isHostOrIp(value: string): boolean {
    if (z.ipv4().safeParse(value).success || z.ipv6().safeParse(value).success) return true;
    return value.length <= 253 && value.split(".").every((label) => HOST_LABEL.test(label));
}
const hostOrIp = z.string().refine(isHostOrIp, "must be a host name (letters, digits, dots, hyphens), localhost or an IP address");
/** The host part of a MySQL account: a host name, an IP address, localhost, or % (any host). */
const mysqlUserHost = z.string().refine((v) => v === "%" || isHostOrIp(v), "must be a host name, an IP address, localhost or %");
/** A server's SSH host public key, `<type> <base64>`. */
const hostKey = z.string().superRefine((value, ctx) => {
    const problem = hostKeyProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Caddy in front of the release (runtime/caddy/Caddyfile, parameterized by environment). */
const Caddy = z.strictObject({
    /** Install the Caddyfile and its environment and reload Caddy; false: you run Caddy yourself. */
    install: z.boolean().default(true),
    httpPort: port.default(80),
    httpsPort: port.default(443),
    /** The TLS permission (ask) endpoint, on 127.0.0.1 only. */
    askPort: port.default(5555),
    certIssuer: z.enum(["acme", "zerossl", "internal"]).default("acme"),
    /**
     * The platform's cap on new certificates (`platform init --cert-new-per-3h/--cert-new-per-domain-week`),
     * under Let's Encrypt's limits: hosts beyond it wait (the ask answers "not yet") and are reported
     * by health. Not applied with certIssuer internal.
     */
    certificateCap: z.strictObject({
        /** New hosts let through in any 3 hours (Let's Encrypt: 300 new orders per 3 h per account). */
        newPer3Hours: z.number().int().min(1).max(300).default(100),
        /** New hosts of one registered domain in any 7 days (Let's Encrypt: 50 certificates per registered domain per week). */
        newPerDomainWeek: z.number().int().min(1).max(50).default(40),
    }).default({ newPer3Hours: 100, newPerDomainWeek: 40 }),
    /** ACME account email (expiry notices); written to <configDir>/mokowaas-globals.d/acme-email. */
    acmeEmail: z.email().optional(),
    /** Caddy's admin endpoint (`off` disables it: changes then restart Caddy instead of reloading it). */
    admin: plainValue.min(1).default("localhost:2019"),
    /** Appended to the host in the HTTP -> HTTPS redirect (e.g. ":8443" when httpsPort is not 443). */
    httpsSuffix: z.string().regex(/^(:[0-9]{1,5})?$/, "must be empty or :<port>").default(""),
    configDir: absPath.default("/etc/caddy"),
    service: z.string().regex(/^[A-Za-z0-9_.@:-]+$/, "must be a systemd unit name such as caddy").default("caddy"),
    /** The group Caddy runs as: it connects to every tenant's PHP-FPM socket and reads their media. */
    group: unixName("group").default("caddy"),
});
const CADDY_DEFAULTS = {
    install: true, httpPort: 80, httpsPort: 443, askPort: 5555, certIssuer: "acme", certificateCap: { newPer3Hours: 100, newPerDomainWeek: 40 }, admin: "localhost:2019",
    httpsSuffix: "", configDir: "/etc/caddy", service: "caddy", group: "caddy",
} as const;

/**
 * The PHP-FPM master (runtime/php-fpm): the platform pool, and one pool per tenant that the server
 * CLI writes, checks (`<binary> -t -y <config>`) and loads (SIGUSR2 to the pid in pidFile).
 */
const PhpFpm = z.strictObject({
    /** Install the platform pool and opcache settings and reload PHP-FPM; false: you run PHP-FPM yourself. */
    install: z.boolean().default(true),
    /** PHP version of the distribution's packages (Ubuntu 24.04: 8.3): php<v>-fpm, /etc/php/<v>/fpm. */
    version: z.string().regex(/^[0-9]+\.[0-9]+$/, "must be a PHP version such as 8.3").default("8.3"),
    /** The platform pool's Unix socket (Caddy's MOKOWAAS_PHP_FPM). */
    listen: absPath.default("/run/php/mokowaas-fpm.sock"),
    /** Default /etc/php/<version>/fpm. */
    confDir: absPath.optional(),
    /** Default /usr/sbin/php-fpm<version>. */
    binary: absPath.optional(),
    /** The master's config file. Default <confDir>/php-fpm.conf. */
    config: absPath.optional(),
    /** The master's pid file. Default /run/php/php<version>-fpm.pid. */
    pidFile: absPath.optional(),
    /** Where the tenants' pool sockets go. */
    socketDir: absPath.default("/run/php"),
});
const PHP_FPM_DEFAULTS = { install: true, version: "8.3", listen: "/run/php/mokowaas-fpm.sock", socketDir: "/run/php" } as const;

const Timers = z.strictObject({
    /** Install and enable the systemd timers (nightly backup + prune, health every 5 minutes, weekly restore drill). */
    install: z.boolean().default(true),
    /** With the timers: `health` fails when the last restore drill failed or is older than this (a week plus a day). */
    drillMaxAgeHours: z.number().positive().default(192),
});

const Existing = z.strictObject({
    provider: z.literal("existing"),
    /** Where SSH connects (address or name). */
    address: hostOrIp,
    /** Public IPv4 for apex A records (default: address, when it is an IPv4 literal). */
    ipv4: z.ipv4().optional(),
    /** Public IPv6 for apex AAAA records ("" or absent: none). */
    ipv6: z.union([z.ipv6(), z.literal("")]).default(""),
});

export const PlatformConfigSchema = z
    .strictObject({
        hostname: hostName,
        server: z.discriminatedUnion("provider", [Hetzner, DigitalOcean, Existing]),
        adminCidrs: z.array(cidr).default([]),
        ssh: z
            .strictObject({
                user: unixName("user").default("root"),
                port: port.default(22),
                /** Public key installed on new servers (hetzner, digitalocean). */
                publicKey: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-\S+) \S+/, "must be an OpenSSH public key line").optional(),
                /**
                 * The server's host key (`ssh-ed25519 AAAA...`), which every connection verifies.
                 * Required for an existing server; hetzner/digitalocean servers get one generated
                 * by the stack, and this overrides it (adopting a server created without one).
                 */
                hostKey: hostKey.optional(),
                /** A private key file on the control machine, instead of the secret mokowaas:sshPrivateKey. */
                privateKeyFile: z.string().optional(),
            })
            .default({ user: "root", port: 22 }),
        mysql: z
            .strictObject({
                serverHost: hostOrIp.default("127.0.0.1"),
                serverPort: port.default(3306),
                adminUser: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "must be a MySQL user name (a-z, 0-9, _)").default("mokowaas_admin"),
                /** Command that runs the MySQL client as its root account on the server (stdin: SQL). */
                rootClient: commandLine.default("mysql"),
                /** Local port of the control machine's SSH tunnel to MySQL; null: no tunnel (the control machine is the server). */
                tunnelPort: port.nullable().default(DEFAULT_TUNNEL_PORT),
                /** mysql provider TLS: the tunnel already encrypts. */
                tls: z.enum(["false", "true", "skip-verify", "preferred"]).default("false"),
                tenantUserHost: mysqlUserHost.default("127.0.0.1"),
            })
            .default({
                serverHost: "127.0.0.1", serverPort: 3306, adminUser: "mokowaas_admin", rootClient: "mysql",
                tunnelPort: DEFAULT_TUNNEL_PORT, tls: "false", tenantUserHost: "127.0.0.1",
            }),
        paths: z
            .strictObject({
                /** MOKOWAAS_ROOT on the server: every data-plane path derives from it. */
                root: absPath.default("/"),
                /** Where the runtime/ folder is installed (the CLI is <runtimeDir>/runtime/bin/mokowaas). */
                runtimeDir: absPath.default("/opt/mokowaas"),
                php: program.default("php"),
                /** Run server commands through sudo (default: when the SSH user is not root). */
                sudo: z.boolean().optional(),
                /** Extra environment for the server CLI (non-secret), e.g. PATH. */
                env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), plainValue).default({}),
                /** Where systemd units and drop-ins are written. */
                systemdDir: absPath.default("/etc/systemd/system"),
                /** Where kernel settings the platform needs are written (sysctl.d). */
                sysctlDir: absPath.default("/etc/sysctl.d"),
            })
            .default({ root: "/", runtimeDir: "/opt/mokowaas", php: "php", env: {}, systemdDir: "/etc/systemd/system", sysctlDir: "/etc/sysctl.d" }),
        phpUser: unixName("user").default("www-data"),
        /** A Borg repository: a path or ssh://user@host[:port]/path (an off-site backup host). */
        borgRepo: z.string().regex(/^(?:\/[A-Za-z0-9._@%+=:,/-]*|ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(?::[0-9]{1,5})?\/[A-Za-z0-9._@%+=:,/~-]+)$/,
            "must be an absolute path or ssh://user@host[:port]/path (letters, digits and . _ - @ % + = : , / ~)").optional(),
        /** The backup host's SSH host key (`ssh-ed25519 AAAA...`), pinned for an ssh:// borgRepo. */
        borgHostKey: hostKey.optional(),
        webUrl: url(["https", "http"], "an http(s) URL").optional(),
        caddy: Caddy.default(CADDY_DEFAULTS),
        phpFpm: PhpFpm.default(PHP_FPM_DEFAULTS),
        timers: Timers.default({ install: true, drillMaxAgeHours: 192 }),
        /**
         * Extension packages every release of this platform holds (docs/extensions.md): each a
         * Joomla package (pkg_*) from a URL or a path on the server, checked against its SHA-512.
         */
        extensions: z
            .array(
                z.strictObject({
                    /** What tenant YAMLs list (`extensions: [name]`). */
                    name: z.string().regex(EXTENSION_NAME, "must be a lowercase letter, then up to 63 of a-z, 0-9, _ and -"),
                    url: url(["https", "file"], "the URL of a Joomla extension package").optional(),
                    /** A package already on the server (a mirror), instead of url. */
                    path: absPath.optional(),
                    sha512,
                }),
            )
            .default([]),
        joomla: z.strictObject({
            version: z.string().regex(/^\d+\.\d+\.\d+(-[A-Za-z0-9.]+)?$/, "must be a Joomla version such as 6.0.4"),
            url: url(["https", "file"], "the URL of a Joomla full package"),
            /** The package's checksum: sha256, or sha512 where that is what is published. */
            sha256: sha256.optional(),
            sha512: sha512.optional(),
            /** How `pulumi up` moves the tenants to a new version (`mokowaas upgrade --all`). */
            upgrade: z
                .strictObject({
                    concurrency: z.number().int().min(1).max(32).default(1),
                    canary: z.number().int().min(0).default(1),
                    maxFailures: z.number().int().min(0).default(0),
                })
                .default({ concurrency: 1, canary: 1, maxFailures: 0 }),
        }),
    })
    .superRefine((c, ctx) => {
        if (isRemoteBorgRepo(c.borgRepo) && !c.borgHostKey) {
            ctx.addIssue({
                code: "custom",
                path: ["borgHostKey"],
                message: "is required for an ssh:// borgRepo: the server verifies the backup host with it and accepts no other. Read it with " +
                    "`ssh-keyscan -t ed25519 -p <port> <backup host>`, check its fingerprint against `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` " +
                    "run on the backup host, and set the key type and key (see docs/config.md)",
            });
        }
        if (!isRemoteBorgRepo(c.borgRepo) && c.borgHostKey) {
            ctx.addIssue({ code: "custom", path: ["borgHostKey"], message: "is only for an ssh:// borgRepo (the backup host's key)" });
        }
        c.extensions.forEach((e, i) => {
            if ((e.url === undefined) === (e.path === undefined)) {
                ctx.addIssue({ code: "custom", path: ["extensions", i], message: `set exactly one of url and path: where extension "${e.name}"'s package is` });
            }
            if (c.extensions.findIndex((o) => o.name === e.name) !== i) {
                ctx.addIssue({ code: "custom", path: ["extensions", i, "name"], message: `"${e.name}" is listed more than once` });
            }
        });
        if ((c.joomla.sha256 === undefined) === (c.joomla.sha512 === undefined)) {
            ctx.addIssue({ code: "custom", path: ["joomla"], message: "set exactly one of sha256 and sha512: the checksum of the package at joomla.url" });
        }
        if (c.server.provider !== "existing") {
            if (c.adminCidrs.length === 0) ctx.addIssue({ code: "custom", path: ["adminCidrs"], message: "list the CIDR blocks allowed to reach SSH and MySQL, e.g. [\"203.0.113.7/32\"]" });
            if (!c.ssh.publicKey) ctx.addIssue({ code: "custom", path: ["ssh", "publicKey"], message: `is required for a ${c.server.provider} server (the key installed on it)` });
        } else {
            if (!c.server.ipv4 && !z.ipv4().safeParse(c.server.address).success) {
                ctx.addIssue({ code: "custom", path: ["server", "ipv4"], message: "is required when server.address is not an IPv4 address (apex A records point at it)" });
            }
            if (!c.ssh.hostKey) {
                ctx.addIssue({
                    code: "custom",
                    path: ["ssh", "hostKey"],
                    message:
                        "is required for an existing server: every SSH connection verifies it. Read it with " +
                        `\`ssh-keyscan -t ed25519 -p ${c.ssh.port} ${c.server.address}\`, check its fingerprint against ` +
                        "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the server's console, and set the key type and key it printed: " +
                        'mokowaas:ssh: { hostKey: "ssh-ed25519 AAAA..." } (see docs/config.md)',
                });
            }
        }
    });

export type PlatformConfig = z.output<typeof PlatformConfigSchema>;

/** Whether the Borg repository is on a backup host (reached over SSH with the server's own key). */
export function isRemoteBorgRepo(repo: string | undefined): boolean {
    return repo?.startsWith("ssh://") ?? false;
}

/** The keys the schema knows: plain strings, and structured values (YAML objects and lists). */
const STRING_KEYS = ["hostname", "phpUser", "borgRepo", "borgHostKey", "webUrl"] as const;
const OBJECT_KEYS = ["server", "adminCidrs", "ssh", "mysql", "paths", "joomla", "extensions", "caddy", "phpFpm", "timers"] as const;
/** Secret keys of a platform stack. */
const SECRET_KEYS = ["sshPrivateKey", "borgPassphrase", "borgSshPrivateKey"] as const;

export class PlatformConfigError extends Error {
    constructor(stack: string, readonly problems: string[]) {
        super(`invalid platform config of stack "${stack}" (Pulumi.${stack}.yaml):\n${problems.join("\n")}`);
        this.name = "PlatformConfigError";
    }
}

/** Validates raw config values (as `pulumi.Config.getObject` returns them); every problem is listed. */
export function parsePlatformConfig(stack: string, raw: Record<string, unknown>): PlatformConfig {
    const parsed = PlatformConfigSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.flatMap((issue) => {
        const where = `mokowaas:${issue.path.map(String).join(".")}`;
        if (issue.code === "unrecognized_keys") return issue.keys.map((k) => `${where === "mokowaas:" ? "mokowaas:" : where + "."}${k}: unknown key (see docs/config.md)`);
        if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) return [`${where}: is required (see docs/config.md)`];
        return [`${where}: ${issue.message}`];
    });
    throw new PlatformConfigError(stack, problems);
}

/** True when the stack carries platform config (a `mokowaas:server` key). */
export function hasPlatformConfig(cfg: pulumi.Config): boolean {
    return cfg.getObject("server") !== undefined;
}

/**
 * Other platform stacks of this project (their Pulumi.<stack>.yaml) whose MySQL tunnel uses
 * `port` on the control machine. The fleet holds every platform's tunnel open at once, so two
 * platforms on one port would send one platform's tenants to the other's MySQL (or fail to bind).
 * Stack files need not be committed: this sees only those present.
 */
export function tunnelPortClashes(projectDir: string, stack: string, port: number | null): string[] {
    if (port === null) return [];
    const clashes: string[] = [];
    for (const file of fs.readdirSync(projectDir).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f)).sort()) {
        const other = file.slice("Pulumi.".length, -".yaml".length);
        if (other === stack) continue;
        let config: Record<string, unknown> | undefined;
        try {
            config = (parse(fs.readFileSync(path.join(projectDir, file), "utf8")) as { config?: Record<string, unknown> } | null)?.config;
        } catch {
            continue; // not ours to judge: that stack's own run reports its file
        }
        if (!config || config["mokowaas:server"] === undefined) continue; // a tenant stack's file
        const mysql = config["mokowaas:mysql"] as { tunnelPort?: unknown } | undefined;
        const otherPort = mysql && "tunnelPort" in mysql ? mysql.tunnelPort : DEFAULT_TUNNEL_PORT;
        if (otherPort === port) clashes.push(other);
    }
    return clashes;
}

export interface PlatformSettings {
    config: PlatformConfig;
    privateKey: pulumi.Output<string>;
    /** mokowaas:borgPassphrase when set (adopting a server or a repository that has one). */
    borgPassphrase?: pulumi.Output<string>;
    /** mokowaas:borgSshPrivateKey: the server's key for an ssh:// borgRepo (append-only on the backup host). */
    borgSshPrivateKey?: pulumi.Output<string>;
}

/** Reads and validates the platform config and its secrets. */
export function readPlatformConfig(stack: string, cfg: pulumi.Config, projectDir: string): PlatformSettings {
    const raw: Record<string, unknown> = {};
    for (const key of STRING_KEYS) {
        const value = cfg.get(key);
        if (value !== undefined) raw[key] = value;
    }
    for (const key of OBJECT_KEYS) {
        const value = cfg.getObject<unknown>(key);
        if (value !== undefined) raw[key] = value;
    }
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith("mokowaas:"))
        .map((k) => k.slice("mokowaas:".length))
        .filter((k) => ![...STRING_KEYS, ...OBJECT_KEYS, ...SECRET_KEYS].includes(k as never));
    if (unknown.length > 0) {
        throw new PlatformConfigError(stack, unknown.map((k) => `mokowaas:${k}: unknown key for a platform stack (see docs/config.md)`));
    }
    const config = parsePlatformConfig(stack, raw);
    const clashes = tunnelPortClashes(projectDir, stack, config.mysql.tunnelPort);
    if (clashes.length > 0) {
        throw new PlatformConfigError(stack, [
            `mokowaas:mysql.tunnelPort: ${config.mysql.tunnelPort} is also the tunnel port of platform ${clashes.map((c) => `"${c}" (Pulumi.${c}.yaml)`).join(", ")}; ` +
                "the fleet holds every platform's tunnel at once: give each platform its own port",
        ]);
    }
    const borgSshPrivateKey = cfg.getSecret("borgSshPrivateKey");
    if (isRemoteBorgRepo(config.borgRepo) !== (borgSshPrivateKey !== undefined)) {
        throw new PlatformConfigError(stack, [isRemoteBorgRepo(config.borgRepo)
            ? "mokowaas:borgSshPrivateKey: is required for an ssh:// borgRepo: `pulumi config set --secret mokowaas:borgSshPrivateKey < key` " +
                "(the server's own key, authorized on the backup host for `borg serve --append-only` only, see docs/reliability.md)"
            : "mokowaas:borgSshPrivateKey: is only for an ssh:// borgRepo"]);
    }
    const borg = { ...(cfg.getSecret("borgPassphrase") ? { borgPassphrase: cfg.getSecret("borgPassphrase") } : {}), ...(borgSshPrivateKey ? { borgSshPrivateKey } : {}) };
    const secretKey = cfg.getSecret("sshPrivateKey");
    if (secretKey) return { config, privateKey: secretKey, ...borg };
    const file = config.ssh.privateKeyFile;
    if (!file) {
        throw new PlatformConfigError(stack, [
            "mokowaas:sshPrivateKey: is required: `pulumi config set --secret mokowaas:sshPrivateKey < key` (or set mokowaas:ssh.privateKeyFile)",
        ]);
    }
    const resolved = path.resolve(projectDir, file);
    if (!fs.existsSync(resolved)) throw new PlatformConfigError(stack, [`mokowaas:ssh.privateKeyFile: ${resolved} does not exist`]);
    return { config, privateKey: pulumi.secret(fs.readFileSync(resolved, "utf8")), ...borg };
}
