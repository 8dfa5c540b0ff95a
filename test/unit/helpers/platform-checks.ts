/** Policies every platform stack must satisfy, shared by the per-provider test files. */
import { expect } from "vitest";
import { platformExports } from "./platform-fixture";
import { type Registered, one } from "./pulumi-mocks";
import { expectCommandsSealed, expectDependsOn, expectNoSecretInCommands, isSecretOutput } from "./tenant-checks";

export const COMMAND = "command:remote:Command";
export const COPY = "command:remote:CopyToRemote";

export function platformCommand(list: Registered[], stack: string, suffix: string): Registered {
    return one(list, suffix === "runtime-copy" ? COPY : COMMAND, `${stack}-${suffix}`);
}

/** The setup chain: ready -> admin account and runtime -> platform init -> Joomla release. */
export function expectSetupOrder(list: Registered[], stack: string): void {
    const c = (s: string) => platformCommand(list, stack, s);
    expectDependsOn(list, c("mysql-admin"), c("ready"));
    expectDependsOn(list, c("runtime-stage"), c("ready"));
    expectDependsOn(list, c("runtime-copy"), c("runtime-stage"));
    expectDependsOn(list, c("runtime-install"), c("runtime-copy"));
    expectDependsOn(list, c("platform-init"), c("mysql-admin"));
    expectDependsOn(list, c("platform-init"), c("runtime-install"));
    expectDependsOn(list, c("joomla-release"), c("platform-init"));
}

/** Secrets: only on stdin, the admin password generated, outputs that hold secrets marked secret. */
export async function expectPlatformSecrets(list: Registered[], stack: string, outputs: Record<string, unknown>, secrets: string[]): Promise<void> {
    expectNoSecretInCommands(list, secrets);
    expectCommandsSealed(list.filter((r) => r.type === COMMAND));
    const copy = platformCommand(list, stack, "runtime-copy");
    expect(copy.secretInputs).toContain("connection");
    for (const s of ["mysql-admin", "platform-init"]) {
        const stdin = platformCommand(list, stack, s).inputs.stdin as string;
        expect(secrets, `${s} reads the admin password on stdin`).toContain(stdin);
    }
    expect(await isSecretOutput(outputs.ssh)).toBe(true);
    expect(await isSecretOutput(outputs.mysqlAdmin)).toBe(true);
    for (const r of list.filter((x) => typeof x.inputs.userData === "string")) {
        for (const s of secrets) if ((r.inputs.userData as string).includes(s)) throw new Error(`${r.name}.userData holds a secret`);
    }
}

/** The platform's outputs are exactly what tenant stacks read (components/platform-ref.ts). */
export function expectExportContract(outputs: Record<string, unknown>): void {
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(platformExports()).sort());
}
