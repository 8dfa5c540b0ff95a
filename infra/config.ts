/**
 * The platform stack's configuration (namespace `mokowaas:`): its schema, defaults and
 * validation. docs/config.md documents every key; keep the two in step.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { hostProblem } from "../components/hosts";

const hostName = z.string().superRefine((value, ctx) => {
    const problem = hostProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const port = z.number().int().min(1).max(65535);
const cidr = z.union([z.cidrv4(), z.cidrv6()], { error: "must be a CIDR block such as 203.0.113.7/32 or 2001:db8::/64" });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be the 64 lowercase hex digits of a SHA-256 checksum");
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
const Existing = z.strictObject({
    provider: z.literal("existing"),
    /** Where SSH connects (address or name). */
    address: z.string().min(1),
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
                user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name").default("root"),
                port: port.default(22),
                /** Public key installed on new servers (hetzner, digitalocean). */
                publicKey: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-\S+) \S+/, "must be an OpenSSH public key line").optional(),
                /** The server's host key (`ssh-ed25519 AAAA...`): set it to have SSH verify the server. */
                hostKey: z.string().optional(),
                /** A private key file on the control machine, instead of the secret mokowaas:sshPrivateKey. */
                privateKeyFile: z.string().optional(),
            })
            .default({ user: "root", port: 22 }),
        mysql: z
            .strictObject({
                serverHost: z.string().default("127.0.0.1"),
                serverPort: port.default(3306),
                adminUser: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "must be a MySQL user name (a-z, 0-9, _)").default("mokowaas_admin"),
                /** Command that runs the MySQL client as its root account on the server (stdin: SQL). */
                rootClient: z.string().default("mysql"),
                /** Local port of the control machine's SSH tunnel to MySQL; null: no tunnel (the control machine is the server). */
                tunnelPort: port.nullable().default(13306),
                /** mysql provider TLS: the tunnel already encrypts. */
                tls: z.enum(["false", "true", "skip-verify", "preferred"]).default("false"),
                tenantUserHost: z.string().default("127.0.0.1"),
            })
            .default({
                serverHost: "127.0.0.1", serverPort: 3306, adminUser: "mokowaas_admin", rootClient: "mysql",
                tunnelPort: 13306, tls: "false", tenantUserHost: "127.0.0.1",
            }),
        paths: z
            .strictObject({
                /** MOKOWAAS_ROOT on the server: every data-plane path derives from it. */
                root: z.string().startsWith("/").default("/"),
                /** Where the runtime/ folder is installed (the CLI is <runtimeDir>/runtime/bin/mokowaas). */
                runtimeDir: z.string().startsWith("/").default("/opt/mokowaas"),
                php: z.string().default("php"),
                /** Run server commands through sudo (default: when the SSH user is not root). */
                sudo: z.boolean().optional(),
                /** Extra environment for the server CLI (non-secret), e.g. PATH. */
                env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
            })
            .default({ root: "/", runtimeDir: "/opt/mokowaas", php: "php", env: {} }),
        phpUser: z.string().default("www-data"),
        borgRepo: z.string().optional(),
        webUrl: z.url().optional(),
        joomla: z.strictObject({
            version: z.string().regex(/^\d+\.\d+\.\d+(-[A-Za-z0-9.]+)?$/, "must be a Joomla version such as 6.0.4"),
            url: z.string().regex(/^(https|file):\/\/\S+$/, "must be an https:// (or file://) URL of a Joomla full package"),
            /** The package's checksum: sha256, or sha512 where that is what is published. */
            sha256: sha256.optional(),
            sha512: sha512.optional(),
        }),
    })
    .superRefine((c, ctx) => {
        if ((c.joomla.sha256 === undefined) === (c.joomla.sha512 === undefined)) {
            ctx.addIssue({ code: "custom", path: ["joomla"], message: "set exactly one of sha256 and sha512: the checksum of the package at joomla.url" });
        }
        if (c.server.provider !== "existing") {
            if (c.adminCidrs.length === 0) ctx.addIssue({ code: "custom", path: ["adminCidrs"], message: "list the CIDR blocks allowed to reach SSH and MySQL, e.g. [\"203.0.113.7/32\"]" });
            if (!c.ssh.publicKey) ctx.addIssue({ code: "custom", path: ["ssh", "publicKey"], message: `is required for a ${c.server.provider} server (the key installed on it)` });
        } else if (!c.server.ipv4 && !z.ipv4().safeParse(c.server.address).success) {
            ctx.addIssue({ code: "custom", path: ["server", "ipv4"], message: "is required when server.address is not an IPv4 address (apex A records point at it)" });
        }
    });

export type PlatformConfig = z.output<typeof PlatformConfigSchema>;

/** The keys the schema knows: plain strings, and structured values (YAML objects and lists). */
const STRING_KEYS = ["hostname", "phpUser", "borgRepo", "webUrl"] as const;
const OBJECT_KEYS = ["server", "adminCidrs", "ssh", "mysql", "paths", "joomla"] as const;

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

/** Reads and validates the platform config, and the SSH private key (secret). */
export function readPlatformConfig(stack: string, cfg: pulumi.Config, projectDir: string): { config: PlatformConfig; privateKey: pulumi.Output<string> } {
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
        .filter((k) => !(STRING_KEYS as readonly string[]).includes(k) && !(OBJECT_KEYS as readonly string[]).includes(k) && k !== "sshPrivateKey");
    if (unknown.length > 0) {
        throw new PlatformConfigError(stack, unknown.map((k) => `mokowaas:${k}: unknown key for a platform stack (see docs/config.md)`));
    }
    const config = parsePlatformConfig(stack, raw);
    const secretKey = cfg.getSecret("sshPrivateKey");
    if (secretKey) return { config, privateKey: secretKey };
    const file = config.ssh.privateKeyFile;
    if (!file) {
        throw new PlatformConfigError(stack, [
            "mokowaas:sshPrivateKey: is required: `pulumi config set --secret mokowaas:sshPrivateKey < key` (or set mokowaas:ssh.privateKeyFile)",
        ]);
    }
    const resolved = path.resolve(projectDir, file);
    if (!fs.existsSync(resolved)) throw new PlatformConfigError(stack, [`mokowaas:ssh.privateKeyFile: ${resolved} does not exist`]);
    return { config, privateKey: pulumi.secret(fs.readFileSync(resolved, "utf8")) };
}
