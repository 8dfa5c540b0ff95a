/**
 * The preview state's redaction (fleet/preview-state.ts), on deployments shaped like the
 * platform's and a tenant's: no secret survives anywhere, and every placeholder is what the program
 * computes from the placeholders it is given (so a preview of an unchanged stack shows no change).
 * test/e2e/preview-state.test.ts runs the same through the real engine.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
    configPlaceholder,
    decryptedAt,
    generatedSecrets,
    leaksOf,
    looksLikeKeyMaterial,
    placeholderFor,
    placeholderKey,
    previewStackConfig,
    PROVIDER_CREDENTIAL_KEYS,
    Redactor,
    secretStrings,
    secureValues,
} from "../../fleet/preview-state";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const alnum = (n: number) => randomBytes(n * 2).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, n);

// Production values, random per run so that finding one is proof of a leak.
const SSH_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(180).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
const SSH_KEY_CIPHERTEXT = `v1:${randomBytes(12).toString("base64")}:${randomBytes(40).toString("base64")}`;
const ADMIN_PW = alnum(24);
const ADMIN_BCRYPT = `$2a$10$${randomBytes(40).toString("base64").slice(0, 53)}`;
const SEED = randomBytes(32);
const DB_PW = alnum(32);
const JOOMLA_SECRET = alnum(32);
const TENANT_ADMIN_PW = alnum(24);
const TENANT_BCRYPT = `$2a$10$${randomBytes(40).toString("base64").slice(0, 53)}`;
const HOST_PUB = `ssh-ed25519 ${randomBytes(51).toString("base64")}`;
const DERIVED_PEM = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(200).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----`;

const ssh = { host: "203.0.113.5", port: 22, user: "root", privateKey: SSH_KEY, hostKey: HOST_PUB };
const platform = {
    manifest: { time: "2026-01-01T00:00:00Z" },
    secrets_providers: { type: "passphrase", state: { salt: "v1:prod-salt" } },
    resources: [
        { urn: "urn:pulumi:prod::mokowaas::pulumi:pulumi:Stack::mokowaas-prod", type: "pulumi:pulumi:Stack", outputs: { ssh: secret(ssh), mysqlAdmin: secret({ username: "mokowaas", password: ADMIN_PW }), address: "203.0.113.5", hostKey: HOST_PUB } },
        { urn: "urn:pulumi:prod::mokowaas::random:index/randomPassword:RandomPassword::mysql-admin", type: "random:index/randomPassword:RandomPassword", inputs: { length: 24 }, outputs: { length: 24, result: secret(ADMIN_PW), bcryptHash: secret(ADMIN_BCRYPT) } },
        { urn: "urn:pulumi:prod::mokowaas::random:index/randomBytes:RandomBytes::host-key-seed", type: "random:index/randomBytes:RandomBytes", outputs: { length: 32, base64: secret(SEED.toString("base64")), hex: secret(SEED.toString("hex")) } },
        {
            urn: "urn:pulumi:prod::mokowaas::command:remote:Command::caddy",
            type: "command:remote:Command",
            inputs: { connection: secret(ssh), stdin: secret(`#cloud-config\nssh_keys:\n  ed25519_private: |\n    ${DERIVED_PEM.replace(/\n/g, "\n    ")}\n`) },
            outputs: { connection: secret(ssh), stdout: "" },
        },
    ],
};
const registryEntry = (dbPassword: string, joomlaSecret: string) =>
    JSON.stringify({ name: "acme", hosts: ["dev.acme.example.com", "acme.example.com"], db: { name: "acme", host: "127.0.0.1", port: 3306, password: dbPassword }, secret: joomlaSecret, paths: { media: "/srv/mokowaas/tenants/acme/media" } });
const seedStdin = (hash: string) => JSON.stringify({ username: "acme-admin", email: "webmaster@acme.example.com", passwordHash: hash });
const tenant = {
    manifest: { time: "2026-01-01T00:00:00Z" },
    secrets_providers: { type: "passphrase", state: { salt: "v1:tenant-salt" } },
    pending_operations: [{ type: "creating", resource: { urn: "x" } }],
    resources: [
        { type: "pulumi:pulumi:StackReference", outputs: { name: "organization/mokowaas/prod", outputs: { ssh: secret(ssh), mysqlAdmin: secret({ username: "mokowaas", password: ADMIN_PW }), address: "203.0.113.5" } } },
        { type: "random:index/randomPassword:RandomPassword", outputs: { result: secret(DB_PW), bcryptHash: secret(sha256("x")) } },
        { type: "random:index/randomPassword:RandomPassword", outputs: { result: secret(JOOMLA_SECRET) } },
        { type: "random:index/randomPassword:RandomPassword", outputs: { result: secret(TENANT_ADMIN_PW), bcryptHash: secret(TENANT_BCRYPT) } },
        { type: "pulumi:providers:mysql", inputs: { endpoint: "127.0.0.1:13306", username: "mokowaas", password: secret(ADMIN_PW) } },
        { type: "mysql:index/user:User", inputs: { user: "acme", plaintextPassword: secret(DB_PW) }, outputs: { user: "acme", plaintextPassword: secret(sha256(DB_PW)) } },
        { type: "command:remote:Command", inputs: { connection: secret(ssh), stdin: secret(registryEntry(DB_PW, JOOMLA_SECRET)) } },
        { type: "command:remote:Command", inputs: { connection: secret(ssh), stdin: secret(seedStdin(TENANT_BCRYPT)) } },
        { type: "pulumi:pulumi:Stack", outputs: { adminPassword: secret(TENANT_ADMIN_PW), urls: { dev: "https://dev.acme.example.com/" } } },
    ],
};

const KEY = placeholderKey("the production passphrase");
const configSecrets = [{ ciphertext: SSH_KEY_CIPHERTEXT, value: SSH_KEY }];
const redactor = new Redactor(KEY, configSecrets, [...generatedSecrets(platform), ...generatedSecrets(tenant)]);
const P = (v: string) => placeholderFor(KEY, v);
const outPlatform = redactor.redactDeployment(platform);
const outTenant = redactor.redactDeployment(tenant);

/** The clear value of a secret envelope at `path` in a redacted deployment. */
function at(dep: unknown, ...path: (string | number)[]): unknown {
    let v: unknown = dep;
    for (const p of path) {
        v = (v as Record<string | number, unknown>)[p];
        if (v && typeof v === "object" && SIG in v) v = JSON.parse((v as unknown as { plaintext: string }).plaintext);
    }
    return v;
}

describe("the preview state's redaction", () => {
    it("leaves no production secret anywhere in either stack", () => {
        expect(secretStrings(platform).length + secretStrings(tenant).length).toBeGreaterThan(20);
        expect(leaksOf(platform, outPlatform, [SSH_KEY])).toEqual([]);
        expect(leaksOf(tenant, outTenant, [SSH_KEY])).toEqual([]);
        const text = JSON.stringify([outPlatform, outTenant]);
        for (const part of [SEED.toString("base64"), SEED.toString("hex"), DERIVED_PEM.split("\n")[1].slice(0, 40), SSH_KEY.split("\n")[1].slice(0, 40), DB_PW, TENANT_BCRYPT.slice(7)]) expect(text).not.toContain(part);
    });

    it("the leak check finds a secret a copy still holds, multi-line ones included, but not one that is public anyway", () => {
        const original = { resources: [{ outputs: { key: secret(SSH_KEY), pw: secret(DB_PW), ip: secret("203.0.113.77"), address: "203.0.113.77" } }] };
        expect(leaksOf(original, original)).toEqual([SSH_KEY, DB_PW]); // not the address: a plain output too
        expect(leaksOf(original, redactor.redactDeployment(original))).toEqual([]);
        expect(leaksOf({ resources: [] }, { x: `note: ${DB_PW}` }, [DB_PW])).toEqual([DB_PW]);
    });

    it("gives a value the same placeholder wherever the program passes it on, in every stack", () => {
        const admin = P(ADMIN_PW);
        expect(at(outPlatform, "resources", 1, "outputs", "result")).toBe(admin);
        expect(at(outPlatform, "resources", 0, "outputs", "mysqlAdmin")).toEqual({ username: P("mokowaas"), password: admin });
        expect(at(outTenant, "resources", 0, "outputs", "outputs", "mysqlAdmin")).toEqual({ username: P("mokowaas"), password: admin });
        expect(at(outTenant, "resources", 4, "inputs", "password")).toBe(admin);
        // An object's members one by one: a program that picks a member or rebuilds the object still matches.
        const connection = at(outTenant, "resources", 6, "inputs", "connection");
        expect(connection).toEqual(at(outPlatform, "resources", 0, "outputs", "ssh"));
        expect(connection).toMatchObject({ port: 22, user: P("root"), host: P("203.0.113.5") });
    });

    it("replaces a config secret by the placeholder the preview derives from its ciphertext", () => {
        expect(at(outPlatform, "resources", 0, "outputs", "ssh", "privateKey")).toBe(configPlaceholder(SSH_KEY_CIPHERTEXT));
        expect(at(outTenant, "resources", 6, "inputs", "connection", "privateKey")).toBe(configPlaceholder(SSH_KEY_CIPHERTEXT));
    });

    it("rebuilds a secret made of other secrets as the program does from their placeholders", () => {
        expect(at(outTenant, "resources", 6, "inputs", "stdin")).toBe(registryEntry(P(DB_PW), P(JOOMLA_SECRET)));
        expect(at(outTenant, "resources", 7, "inputs", "stdin")).toBe(seedStdin(P(TENANT_BCRYPT)));
        expect(at(outTenant, "resources", 8, "outputs", "adminPassword")).toBe(P(TENANT_ADMIN_PW));
    });

    it("replaces whole a built secret that holds another secret the program passed on (never leaves it in the clear)", () => {
        const built = `mysql://mokowaas_admin:${ADMIN_PW}@203.0.113.5/acme`;
        const other = `admin-${alnum(12)}`; // e.g. a user name from a platform's secret output
        const r = new Redactor(KEY, [], [ADMIN_PW]);
        expect(r.redactSecret(built, [other])).toBe(built.replace(ADMIN_PW, P(ADMIN_PW)));
        expect(r.redactSecret(`${other}:${ADMIN_PW}`, [other])).toBe(P(`${other}:${ADMIN_PW}`));
        // Found wherever they are, the longest first, however many there are.
        const many = Array.from({ length: 3000 }, () => alnum(20));
        const big = new Redactor(KEY, [], many);
        expect(big.redactSecret(`a${many[2999]}b${many[0]}c`)).toBe(`a${P(many[2999])}b${P(many[0])}c`);
        expect(new Redactor(KEY, [], [ADMIN_PW, `${ADMIN_PW}XYZ12345`]).redactSecret(`<${ADMIN_PW}XYZ12345>`)).toBe(`<${P(`${ADMIN_PW}XYZ12345`)}>`);
    });

    it("follows a secret's SHA-256 (what the mysql provider keeps of a password)", () => {
        expect(at(outTenant, "resources", 5, "outputs", "plaintextPassword")).toBe(sha256(P(DB_PW)));
    });

    it("replaces whole a secret that still holds key material after substitution, keeping its length", () => {
        const stdin = at(outPlatform, "resources", 3, "inputs", "stdin") as string;
        const original = at(platform, "resources", 3, "inputs", "stdin") as string;
        expect(stdin).toBe(P(original));
        expect(stdin).toHaveLength(original.length);
        expect(stdin).not.toContain("BEGIN OPENSSH");
    });

    it("keeps each character's kind: the seed still decodes to 32 bytes, hex stays hex, passwords stay alphanumeric", () => {
        const b64 = at(outPlatform, "resources", 2, "outputs", "base64") as string;
        expect(Buffer.from(b64, "base64")).toHaveLength(32);
        expect(b64).not.toBe(SEED.toString("base64"));
        expect(at(outPlatform, "resources", 2, "outputs", "hex")).toMatch(/^[0-9a-f]{64}$/);
        expect(P(DB_PW)).toMatch(/^[A-Za-z0-9]{32}$/);
        expect(P("a-b.c_d/e:f@g 1")).toMatch(/^[a-z]-[a-z]\.[a-z]_[a-z]\/[a-z]:[a-z]@[a-z] \d$/);
        expect(P("")).toBe("");
    });

    it("is stable under one production passphrase and unrelated under another", () => {
        expect(placeholderFor(placeholderKey("the production passphrase"), DB_PW)).toBe(P(DB_PW));
        expect(placeholderFor(placeholderKey("another passphrase"), DB_PW)).not.toBe(P(DB_PW));
        expect(P(DB_PW)).not.toBe(P(JOOMLA_SECRET));
    });

    it("drops the secrets provider and pending operations, and keeps plain values", () => {
        expect(outTenant).not.toHaveProperty("secrets_providers");
        expect(outTenant).not.toHaveProperty("pending_operations");
        expect(at(outTenant, "resources", 8, "outputs", "urls")).toEqual({ dev: "https://dev.acme.example.com/" });
        expect(at(outPlatform, "resources", 0, "outputs", "address")).toBe("203.0.113.5");
        expect(at(outPlatform, "resources", 0, "outputs", "hostKey")).toBe(HOST_PUB); // public as a plain output
    });

    it("replaces a known secret that leaked into a plain value", () => {
        const out = redactor.redactDeployment({ resources: [{ outputs: { stdout: `password is ${DB_PW}`, hash: sha256(DB_PW) } }] });
        expect(out).toEqual({ resources: [{ outputs: { stdout: `password is ${P(DB_PW)}`, hash: sha256(P(DB_PW)) } }] });
    });

    it("refuses a deployment whose secrets are still encrypted", () => {
        expect(() => redactor.redactDeployment({ resources: [{ outputs: { x: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } } }] })).toThrow(/--show-secrets/);
    });

    it("tells key material from paths, names and ids", () => {
        for (const s of ["/srv/mokowaas/tenants/acme-widgets/media", "dev.acme-widgets.example.com", "123e4567-e89b-12d3-a456-426614174000", '{"name":"acme","port":3306}']) expect(looksLikeKeyMaterial(s), s).toBe(false);
        for (const s of [DERIVED_PEM, randomBytes(32).toString("base64"), randomBytes(32).toString("hex"), `-----BEGIN RSA PRIVATE KEY-----`]) expect(looksLikeKeyMaterial(s), s).toBe(true);
    });
});

describe("stack config files in a preview", () => {
    const file = [
        "# Platform stack: see docs/config.md",
        "encryptionsalt: v1:prodsalt=",
        "config:",
        "  mokowaas:hostname: prod.example.net",
        "  mokowaas:sshPrivateKey:",
        "    secure: v1:aaa",
        "  hcloud:token:",
        "    secure: v1:bbb",
        "  dreamhost:apiKey: plain-but-still-a-credential",
        "  backup:",
        "    keep: 7",
        "    passphrase:",
        "      secure: v1:ccc",
        "    targets:",
        "      - host: b1",
        "        password:",
        "          secure: v1:ddd",
        "",
    ].join("\n");

    it("finds every secure value with its fully qualified key and path", () => {
        expect(secureValues(file, "mokowaas")).toEqual([
            { key: "mokowaas:sshPrivateKey", path: [], ciphertext: "v1:aaa" },
            { key: "hcloud:token", path: [], ciphertext: "v1:bbb" },
            { key: "mokowaas:backup", path: ["passphrase"], ciphertext: "v1:ccc" },
            { key: "mokowaas:backup", path: ["targets", 0, "password"], ciphertext: "v1:ddd" },
        ]);
    });

    it("reads a decrypted value from the engine's config JSON, also inside an object", () => {
        expect(decryptedAt({ value: "k" }, [])).toBe("k");
        expect(decryptedAt({ value: '{"passphrase":"p","targets":[{"password":"q"}]}' }, ["targets", 0, "password"])).toBe("q");
        expect(decryptedAt({ objectValue: { passphrase: "p" } }, ["passphrase"])).toBe("p");
        expect(decryptedAt(undefined, [])).toBeUndefined();
    });

    it("gets the preview's salt and placeholders, loses the provider credentials, keeps the rest and the comments", () => {
        const encrypted = new Map([["v1:aaa", "v1:AAA"], ["v1:bbb", "v1:BBB"], ["v1:ccc", "v1:CCC"], ["v1:ddd", "v1:DDD"]]);
        const out = previewStackConfig(file, "mokowaas", "v1:previewsalt=", encrypted);
        expect(out).toContain("# Platform stack: see docs/config.md");
        expect(out).toContain("encryptionsalt: v1:previewsalt=");
        expect(out).not.toMatch(/prodsalt|v1:aaa|v1:ccc|v1:ddd|hcloud:token|dreamhost:apiKey|plain-but-still/);
        expect(secureValues(out, "mokowaas").map((s) => s.ciphertext)).toEqual(["v1:AAA", "v1:CCC", "v1:DDD"]);
        expect(out).toContain("mokowaas:hostname: prod.example.net");
        expect(out).toMatch(/keep: 7/);
        expect(PROVIDER_CREDENTIAL_KEYS).toEqual(["hcloud:token", "digitalocean:token", "dreamhost:apiKey"]);
        // Marked, so that it is never committed nor rewritten twice (placeholders of placeholders).
        expect(out.split("\n")[0]).toMatch(/^# Rewritten for a pull-request preview .*Do not commit\.$/);
        expect(() => previewStackConfig(out, "mokowaas", "v1:x", encrypted)).toThrow(/already rewritten/);
    });

    it("refuses to leave a production ciphertext in place", () => {
        expect(() => previewStackConfig(file, "mokowaas", "v1:s", new Map([["v1:aaa", "v1:AAA"]]))).toThrow(/no placeholder ciphertext/);
    });

    it("derives a config placeholder from the ciphertext alone", () => {
        expect(configPlaceholder("v1:aaa")).toBe(configPlaceholder("v1:aaa"));
        expect(configPlaceholder("v1:aaa")).not.toBe(configPlaceholder("v1:aab"));
        expect(configPlaceholder("v1:aaa")).toMatch(/^preview-placeholder-[0-9a-f]{24}$/);
    });
});
