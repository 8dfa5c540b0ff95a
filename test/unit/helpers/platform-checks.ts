/** Policies every platform stack must satisfy, shared by the per-provider test files. */
import { expect } from "vitest";
import { platformExports } from "./platform-fixture";
import { type Registered, one, valueOf } from "./pulumi-mocks";
import { expectCommandsSealed, expectDependsOn, expectNoSecretInCommands, isSecretOutput } from "./tenant-checks";

export const COMMAND = "command:remote:Command";
export const COPY = "command:remote:CopyToRemote";

export function platformCommand(list: Registered[], stack: string, suffix: string): Registered {
    return one(list, suffix === "runtime-copy" ? COPY : COMMAND, `${stack}-${suffix}`);
}

/** The setup chain: ready -> admin account and runtime -> platform init -> Borg passphrase -> Joomla release -> PHP-FPM -> Caddy, timers. */
export function expectSetupOrder(list: Registered[], stack: string, services: { phpFpm: boolean; caddy: boolean; timers: boolean } = { phpFpm: true, caddy: true, timers: true }): void {
    const c = (s: string) => platformCommand(list, stack, s);
    expectDependsOn(list, c("mysql-admin"), c("ready"));
    expectDependsOn(list, c("runtime-stage"), c("ready"));
    expectDependsOn(list, c("runtime-copy"), c("runtime-stage"));
    expectDependsOn(list, c("runtime-install"), c("runtime-copy"));
    expectDependsOn(list, c("platform-init"), c("mysql-admin"));
    expectDependsOn(list, c("platform-init"), c("runtime-install"));
    expectDependsOn(list, c("borg-passphrase"), c("platform-init"));
    expectDependsOn(list, c("joomla-release"), c("platform-init"));
    expectDependsOn(list, c("joomla-release"), c("borg-passphrase"));
    if (services.phpFpm) expectDependsOn(list, c("php-fpm"), c("joomla-release"));
    if (services.caddy) expectDependsOn(list, c("caddy"), c("joomla-release"));
    if (services.caddy && services.phpFpm) expectDependsOn(list, c("caddy"), c("php-fpm"));
    if (services.timers) {
        expectDependsOn(list, c("timers"), c("joomla-release"));
        expectDependsOn(list, c("timers"), c("borg-passphrase"));
    }
    for (const [name, on] of Object.entries({ "php-fpm": services.phpFpm, caddy: services.caddy, timers: services.timers })) {
        expect(list.some((r) => r.name === `${stack}-${name}`), `${stack}-${name} is declared exactly when it is to be installed`).toBe(on);
    }
}

/**
 * Secrets: only on stdin, the admin password and Borg passphrase generated (or adopted), outputs
 * that hold secrets marked secret. `secrets` = [admin password, Borg passphrase, ...others].
 */
export async function expectPlatformSecrets(list: Registered[], stack: string, outputs: Record<string, unknown>, secrets: string[]): Promise<void> {
    expectNoSecretInCommands(list, secrets);
    expectCommandsSealed(list.filter((r) => r.type === COMMAND));
    const copy = platformCommand(list, stack, "runtime-copy");
    expect(copy.secretInputs).toContain("connection");
    for (const s of ["mysql-admin", "platform-init"]) {
        const stdin = platformCommand(list, stack, s).inputs.stdin as string;
        expect(secrets, `${s} reads the admin password on stdin`).toContain(stdin);
    }
    const passphrase = platformCommand(list, stack, "borg-passphrase");
    expect(passphrase.inputs.stdin, "borg-passphrase reads the passphrase on stdin").toBe(secrets[1]);
    expect(passphrase.secretInputs).toContain("stdin");
    expect(await valueOf(outputs.borgPassphrase)).toBe(secrets[1]);
    expect(await isSecretOutput(outputs.ssh)).toBe(true);
    expect(await isSecretOutput(outputs.mysqlAdmin)).toBe(true);
    expect(await isSecretOutput(outputs.borgPassphrase)).toBe(true);
    for (const r of list.filter((x) => typeof x.inputs.userData === "string")) {
        for (const s of secrets) if ((r.inputs.userData as string).includes(s)) throw new Error(`${r.name}.userData holds a secret`);
    }
}

/**
 * Every SSH connection of the platform (commands and the runtime copy) pins `hostKey`, and the
 * platform exports it for tenant stacks and the tunnel. With `privateKey` (a generated host key),
 * that key travels only in the server's user data, which is secret.
 */
export async function expectHostKeyPinned(list: Registered[], outputs: Record<string, unknown>, hostKey: string, privateKey?: string): Promise<void> {
    const connections = list.filter((r) => r.type === COMMAND || r.type === COPY);
    expect(connections.length).toBeGreaterThan(0);
    for (const r of connections) expect({ [r.name]: r.inputs.connection.hostKey }).toEqual({ [r.name]: hostKey });
    expect((await valueOf(outputs.ssh) as { hostKey: string }).hostKey).toBe(hostKey);
    if (privateKey === undefined) return;
    // The key file's 4th base64 line holds the seed (the first ones are the same for every Ed25519 key).
    const secretPart = privateKey.split("\n")[4];
    expect(secretPart).toMatch(/^[A-Za-z0-9+/]{70}$/);
    const holders = list.filter((r) => JSON.stringify(r.inputs).includes(secretPart));
    expect(holders.map((r) => r.name)).toEqual(list.filter((r) => typeof r.inputs.userData === "string").map((r) => r.name));
    for (const r of holders) expect(r.secretInputs, `${r.name}.userData holds the host's private key`).toContain("userData");
}

/** The platform's outputs are exactly what tenant stacks read (components/platform-ref.ts). */
export function expectExportContract(outputs: Record<string, unknown>): void {
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(platformExports()).sort());
}
