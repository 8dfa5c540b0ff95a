/**
 * A tenant stack refuses to declare anything when any tenant file is bad (with the validator's
 * own lines), or when the stack carries config that belongs in the tenant file.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformExports, platformStack } from "./helpers/platform-fixture";
import { installMocks, settle } from "./helpers/pulumi-mocks";
import { PROJECT_DIR } from "./helpers/stack-config";

/** A platform stack as exported before host keys: its ssh output has none. */
const { hostKey: _, ...sshWithoutHostKey } = platformExports().ssh;
const registered = installMocks({
    stack: "acme",
    stacks: {
        "organization/mokowaas/prod": platformStack(),
        "organization/mokowaas/prod-before-host-keys": platformStack({ ssh: sshWithoutHostKey as ReturnType<typeof platformExports>["ssh"] }),
        "organization/mokowaas/prod-without-extensions": platformStack({ extensions: [] }),
    },
});
let program: () => Promise<Record<string, unknown>>;
let dir: string;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-bad-tenants-"));
    fs.copyFileSync(path.join(PROJECT_DIR, "tenants", "acme.yaml"), path.join(dir, "acme.yaml"));
    fs.writeFileSync(path.join(dir, "other.yaml"), "displayName: Other\ndomains: { production: Other.Example.com }\nadmin: { username: o, email: o@example.com }\nonlin: true\n");
    program = (await import("../../index")).default;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The validator's stdout lines for a folder, run from the project as `npm run --silent validate -- DIR`. */
async function validatorLines(folder: string): Promise<string[]> {
    const rel = path.relative(PROJECT_DIR, folder);
    const r = await promisify(execFile)("npm", ["run", "--silent", "validate", "--", rel], { cwd: PROJECT_DIR }).catch((e) => e as { stdout: string });
    return r.stdout.split("\n").filter(Boolean);
}

describe("tenant stack acme with a bad file beside it", () => {
    it("fails with exactly the validator's lines and declares nothing, though acme.yaml itself is valid", async () => {
        const expected = await validatorLines(dir);
        const file = `${path.relative(PROJECT_DIR, dir)}/other.yaml`;
        expect(expected).toEqual([
            `${file}: domains.production: "Other.Example.com" must be lowercase: write "other.example.com"`,
            `${file}: admin.username: must be 2 to 100 letters, digits, dots, hyphens or underscores`,
            `${file}: onlin: unknown key (check its spelling against tenants/schema.json)`,
        ]);
        (await import("@pulumi/pulumi")).runtime.setAllConfig({ "mokowaas:tenantsDir": dir });
        const error = await program().then(() => undefined, (e: Error) => e);
        expect(error?.message.split("\n")).toEqual(["invalid tenant files:", ...expected]);
        await settle();
        expect(registered).toEqual([]);
    });

    it("refuses platform keys on a tenant stack, naming where tenant settings belong", async () => {
        (await import("@pulumi/pulumi")).runtime.setAllConfig({ "mokowaas:hostname": "x.example.com" });
        const error = await program().then(() => undefined, (e: Error) => e);
        expect(error?.message).toBe(
            'tenant stack "acme": mokowaas:hostname is not a tenant-stack key (tenant settings belong in tenants/acme.yaml; tenant-stack keys: platformStack, mysqlEndpoint, tenantsDir)',
        );
        await settle();
        expect(registered).toEqual([]);
    });

    it("refuses a platform that exports no SSH host key: nothing would verify the server", async () => {
        (await import("@pulumi/pulumi")).runtime.setAllConfig({ "mokowaas:platformStack": "organization/mokowaas/prod-before-host-keys" });
        const error = await program().then(() => undefined, (e: Error) => e);
        expect(error?.message).toBe(
            'platform stack "organization/mokowaas/prod-before-host-keys" exports no ssh.hostKey, so its server\'s identity cannot be verified: ' +
                "run `pulumi up -s prod` first (an existing server needs mokowaas:ssh.hostKey, see docs/config.md)",
        );
        await settle();
        expect(registered.filter((r) => r.type.startsWith("command:") || r.type.startsWith("mysql:"))).toEqual([]);
    });

    it("refuses a tenant that lists an extension its platform does not offer, naming what it offers", async () => {
        const own = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-ext-tenants-"));
        try {
            fs.writeFileSync(path.join(own, "acme.yaml"), fs.readFileSync(path.join(PROJECT_DIR, "tenants", "acme.yaml"), "utf8") + "extensions: [probe]\n");
            (await import("@pulumi/pulumi")).runtime.setAllConfig({ "mokowaas:tenantsDir": own, "mokowaas:platformStack": "organization/mokowaas/prod-without-extensions" });
            const error = await program().then(() => undefined, (e: Error) => e);
            expect(error?.message).toBe(
                `${path.relative(process.cwd(), own)}/acme.yaml: extensions: "probe" not offered by platform prod (it offers none; add packages to its stack's mokowaas:extensions, see docs/extensions.md)`,
            );
            await settle();
            expect(registered.filter((r) => r.type.startsWith("command:") || r.type.startsWith("mysql:"))).toEqual([]);
        } finally {
            fs.rmSync(own, { recursive: true, force: true });
        }
    });
});
