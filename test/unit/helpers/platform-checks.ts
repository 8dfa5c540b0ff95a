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

/** The platform's outputs are exactly what tenant stacks read (components/platform-ref.ts). */
export function expectExportContract(outputs: Record<string, unknown>): void {
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(platformExports()).sort());
}
