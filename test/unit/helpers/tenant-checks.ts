/** Policies every tenant stack must satisfy, shared by the per-tenant test files. */
import { phpBin } from "../../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { type Registered, commandStrings, mockBcryptHash, mockPassword, one } from "./pulumi-mocks";

export const TYPES = {
    tenant: "mokowaas:index:Tenant",
    password: "random:index/randomPassword:RandomPassword",
    mysqlProvider: "pulumi:providers:mysql",
    database: "mysql:index/database:Database",
    user: "mysql:index/user:User",
    grant: "mysql:index/grant:Grant",
    command: "command:remote:Command",
    stackRef: "pulumi:pulumi:StackReference",
    dnsRecord: "pulumi-nodejs:dynamic/dreamhost:DnsRecord",
} as const;

/** Every secret value the tenant program handles: generated passwords, the admin's hash and the platform's secrets. */
export function tenantSecrets(tenant: string, platformSecrets: string[]): string[] {
    const passwords = ["db-password", "joomla-secret", "admin-password"].map((s) => mockPassword(`${tenant}-${s}`));
    return [...passwords, mockBcryptHash(`${tenant}-admin-password`), ...platformSecrets];
}

/**
 * The seed's stdin (secret) carries the admin password's bcrypt hash, never the password, and
 * that hash is one PHP's password_verify (Joomla's check) accepts for the password.
 */
export function expectSeedSendsHash(list: Registered[], tenant: string, admin: { username: string; email: string }): void {
    const seed = tenantResource(list, tenant, "command", "seed");
    const password = mockPassword(`${tenant}-admin-password`);
    expect(seed.secretInputs).toContain("stdin");
    expect(seed.inputs.stdin).not.toContain(password);
    const sent = JSON.parse(seed.inputs.stdin);
    expect(sent).toEqual({ ...admin, passwordHash: mockBcryptHash(`${tenant}-admin-password`) });
    expect(sent.passwordHash).toMatch(/^\$2a\$\d\d\$[./A-Za-z0-9]{53}$/);
    const verify = spawnSync(phpBin(), ["-r", '$in = json_decode(stream_get_contents(STDIN), true); exit(password_verify($in[0], $in[1]) ? 0 : 1);'], {
        input: JSON.stringify([password, sent.passwordHash]),
    });
    expect(verify.status, "password_verify(admin password, sent hash)").toBe(0);
}

/** No secret value may appear in any command's create, update or delete string. */
export function expectNoSecretInCommands(list: Registered[], secrets: string[]): void {
    const commands = commandStrings(list);
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) {
        for (const s of secrets) {
            if (c.text.includes(s)) throw new Error(`${c.resource}.${c.field} holds a secret value`);
        }
    }
}

/** Every remote command: host key pinned, secrets only on stdin and in the connection, nothing logged, outputs secret. */
export function expectCommandsSealed(list: Registered[]): void {
    for (const r of list.filter((x) => x.type === TYPES.command)) {
        expect({ name: r.name, logging: r.inputs.logging }).toEqual({ name: r.name, logging: "none" });
        expect(r.secretInputs, r.name).toContain("connection");
        expect(r.inputs.connection.hostKey, `${r.name} must verify the server's host key`).toMatch(/^ssh-ed25519 AAAA/);
        if (r.inputs.stdin !== undefined) expect(r.secretInputs, r.name).toContain("stdin");
        expect(r.additionalSecretOutputs, r.name).toEqual(expect.arrayContaining(["stdout", "stderr"]));
        expect(r.inputs.environment, `${r.name} must not pass secrets through the environment`).toBeUndefined();
    }
}

/** `a` depends on `b` (so the engine deletes `a` before `b`). */
export function expectDependsOn(list: Registered[], a: Registered, b: Registered): void {
    if (!a.dependencies.includes(b.urn)) {
        throw new Error(`${a.name} must depend on ${b.name} (so it is deleted first); its dependencies: ${a.dependencies.join(", ")}`);
    }
    void list;
}

export function tenantResource(list: Registered[], tenant: string, type: keyof typeof TYPES, suffix: string): Registered {
    return one(list, TYPES[type], `${tenant}-${suffix}`);
}

export async function isSecretOutput(o: unknown): Promise<boolean> {
    return pulumi.Output.isInstance(o) && (await pulumi.isSecret(o));
}
