// The Pulumi engine that scripts/install-pulumi.sh provides really works: the CLI at the SDK's
// version, the plugins at the versions the provider SDKs ask for, and real `up`/`destroy` runs
// against a file backend. Parts the installer reported BLOCKED skip with its reason, loudly (under
// MOKOWAAS_STRICT=1, as in CI, they fail).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { installedPulumiHome } from "../../fleet/engine";
import { textOfFiles } from "../harness/files";
import { skipWithout } from "../harness/strict";

const run = promisify(execFile);
const root = path.resolve(__dirname, "../..");
const pulumiHome = installedPulumiHome(root) ?? path.join(root, ".cache/pulumi");
const sdkVersion = (name: string, field: "version" | "plugin"): string => {
    const pkg = JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8"));
    return field === "version" ? pkg.version : pkg.pulumi.version;
};

/** toolchain.txt, written by the installer: name<TAB>ok|blocked<TAB>detail per part. */
function readToolchain(): Map<string, { ok: boolean; detail: string }> {
    const file = path.join(pulumiHome, "toolchain.txt");
    const parts = new Map<string, { ok: boolean; detail: string }>();
    if (!existsSync(file)) return parts;
    for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
        const [name, state, detail = ""] = line.split("\t");
        parts.set(name, { ok: state === "ok", detail });
    }
    return parts;
}

const toolchain = readToolchain();
/** True when a test needing these parts cannot run (skipped loudly; a failing test under MOKOWAAS_STRICT=1). */
function missing(...parts: string[]): boolean {
    const reasons = parts
        .filter((p) => !toolchain.get(p)?.ok)
        .map((p) => `${p}: ${toolchain.get(p)?.detail ?? `not installed (run scripts/setup.sh; no ${pulumiHome}/toolchain.txt entry)`}`);
    return skipWithout(`tests needing ${parts.join(", ")}`, reasons);
}

const cliBinary = toolchain.get("cli")?.detail.split(" ")[0] ?? "pulumi";
const engineEnv = (backendDir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    PULUMI_HOME: pulumiHome,
    PATH: [path.dirname(cliBinary), path.join(pulumiHome, "bin"), path.join(root, "node_modules/@pulumi/pulumi"), process.env.PATH].join(":"),
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: "toolchain-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
});

// Work folders live under the repo so Node resolves node_modules from the copied programs.
const scratchRoot = path.join(root, ".cache/tmp");
const scratches: string[] = [];
function scratch(): string {
    mkdirSync(scratchRoot, { recursive: true });
    const dir = mkdtempSync(path.join(scratchRoot, "toolchain-"));
    scratches.push(dir);
    cpSync(path.join(root, "tools/pulumi/smoke"), dir, { recursive: true });
    mkdirSync(path.join(dir, "state"));
    return dir;
}
afterAll(() => scratches.forEach((d) => rmSync(d, { recursive: true, force: true })));


describe("the Pulumi engine on this machine", () => {
    const cliMissing = missing("cli");

    test.skipIf(cliMissing)("`pulumi version` is exactly the @pulumi/pulumi SDK's version", async () => {
        const { stdout } = await run(cliBinary, ["version"], { env: engineEnv(pulumiHome) });
        expect(stdout.trim()).toBe(`v${sdkVersion("@pulumi/pulumi", "version")}`);
    });

    test.skipIf(missing("cli", "plugin-command", "plugin-random", "plugin-mysql"))(
        "`pulumi plugin ls` lists command, random and mysql at the versions their SDKs ask for",
        async () => {
            const { stdout } = await run(cliBinary, ["plugin", "ls", "--json"], { env: engineEnv(pulumiHome) });
            const plugins = JSON.parse(stdout) as { name: string; kind: string; version: string }[];
            for (const name of ["command", "random", "mysql"]) {
                const want = sdkVersion(`@pulumi/${name}`, "plugin");
                expect(plugins.filter((p) => p.kind === "resource" && p.name === name).map((p) => p.version), name).toContain(want);
            }
        },
    );

    test.skipIf(missing("cli", "dynamic-provider-host"))(
        "an Automation API inline program creates and destroys a dynamic resource, and the state keeps secrets encrypted",
        async () => {
            const dir = scratch();
            const backend = path.join(dir, "state");
            const marker = path.join(dir, "marker.txt");
            const secret = `smoke-secret-${createHash("sha256").update(dir).digest("hex").slice(0, 16)}`;
            const env = { ...engineEnv(backend), SMOKE_SECRET: secret };
            const inline = (action: string) => run("node", [path.join(dir, "inline.cjs"), action, dir, marker], { env, cwd: dir });

            const up = JSON.parse((await inline("up")).stdout.trim().split("\n").pop()!);
            expect(up.result).toBe("succeeded");
            expect(up.changes).toMatchObject({ create: 2 }); // the stack and the marker
            expect(up.outputs.markerPath.value).toBe(marker);
            expect(up.outputs.secret).toMatchObject({ value: secret, secret: true });
            expect(readFileSync(marker, "utf8")).toBe("written by the engine");
            expect(textOfFiles(backend)).toContain("pulumi-nodejs:dynamic:Resource");
            expect(textOfFiles(backend)).not.toContain(secret);

            const down = JSON.parse((await inline("destroy")).stdout.trim().split("\n").pop()!);
            expect(down.result).toBe("succeeded");
            expect(down.changes).toMatchObject({ delete: 2 });
            expect(existsSync(marker)).toBe(false);
        },
    );

    test.skipIf(missing("cli", "language-nodejs", "plugin-random", "plugin-command", "dynamic-provider-host"))(
        "`pulumi up` of a Node.js project runs random, command and a dynamic provider, and `pulumi destroy` removes them",
        async () => {
            const dir = scratch();
            const project = path.join(dir, "project");
            const backend = path.join(dir, "state");
            const marker = path.join(dir, "marker.txt");
            const env = engineEnv(backend);
            const pulumi = (...args: string[]) => run(cliBinary, args, { env, cwd: project });

            await pulumi("stack", "init", "smoke");
            await pulumi("config", "set", "markerPath", marker);
            await pulumi("up", "--yes", "--skip-preview");
            const out = JSON.parse((await pulumi("stack", "output", "--json", "--show-secrets")).stdout);
            expect(out.password).toMatch(/^[A-Za-z0-9]{24}$/);
            expect(out.hash).toBe(createHash("sha256").update(out.password).digest("hex"));
            expect(readFileSync(marker, "utf8")).toBe(out.hash);
            expect(textOfFiles(backend)).not.toContain(out.password);

            await pulumi("destroy", "--yes", "--skip-preview");
            expect(existsSync(marker)).toBe(false);
            const { stdout } = await pulumi("stack", "export");
            expect(JSON.parse(stdout).deployment.resources ?? []).toEqual([]);
            await pulumi("stack", "rm", "--yes");
        },
    );
});
