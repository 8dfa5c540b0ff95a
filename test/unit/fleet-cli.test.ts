import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../fleet/cli";
import type { Target } from "../../fleet/plan";
import type { StackRunner, StackRunResult } from "../../fleet/runner";
import { TempRepo, tenantYaml } from "../../fleet/testing/git-repo";

let repo: TempRepo;
let base: string;

beforeEach(() => {
    repo = new TempRepo();
    repo.write("tenants/acme.yaml", tenantYaml("acme"))
        .write("tenants/beta.yaml", tenantYaml("beta"))
        .write("tenants/gamma.yaml", tenantYaml("gamma", { platform: "local" }))
        .write("Pulumi.yaml", "name: mokowaas\nruntime: nodejs\n")
        .write("Pulumi.prod.yaml", "config: {}\n")
        .write("Pulumi.local.yaml", "config: {}\n");
    base = repo.commit("base");
});
afterEach(() => repo.cleanup());

/** Runs the CLI against the temp repo with a fake engine; `fail` names stacks whose run throws. */
async function fleet(argv: string[], fail: string[] = [], backendStacks?: string[]) {
    const ran: Target[] = [];
    const tunnels: string[] = [];
    let stdout = "";
    let stderr = "";
    let runnerMade = false;
    const runner: StackRunner = {
        async run(t): Promise<StackRunResult> {
            ran.push(t);
            if (fail.includes(t.stack)) throw new Error(`error: ${t.stack} exploded`);
            return { counts: { create: 2, update: 0, replace: 0, delete: t.operation.includes("destroy") ? 5 : 0, same: 1 } };
        },
        listStacks: backendStacks ? async () => backendStacks : undefined,
    };
    const code = await runCli(argv, {
        repo: repo.dir,
        stdout: (s) => void (stdout += s),
        stderr: (s) => void (stderr += s),
        makeRunner: async () => {
            runnerMade = true;
            return runner;
        },
        openTunnel: async (p) => {
            tunnels.push(p);
            return { close: async () => {} };
        },
    });
    return { code, stdout, stderr, ran, tunnels, runnerMade, ops: ran.map((t) => `${t.stack}:${t.operation}`).sort() };
}

describe("fleet --changed", () => {
    it("previews added and modified tenants, previews the offboarding of deleted and renamed ones, and reports JSON", async () => {
        repo.write("tenants/acme.yaml", tenantYaml("acme", { online: true }));
        repo.remove("tenants/gamma.yaml");
        repo.move("tenants/beta.yaml", "tenants/beta-shop.yaml");
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        const head = repo.commit("pr");
        const r = await fleet(["preview", "--changed", `${base}..${head}`, "--json"]);
        expect(r.code).toBe(0);
        expect(r.ops).toEqual(["acme:preview", "beta-shop:preview", "beta:preview-destroy", "delta:preview", "gamma:preview-destroy"]);
        const report = JSON.parse(r.stdout);
        expect(report.range).toMatchObject({ base, head });
        const beta = report.outcomes.find((o: { stack: string }) => o.stack === "beta");
        expect(beta).toMatchObject({ operation: "preview-destroy", platform: "prod", reason: "tenants/beta.yaml deleted (renamed beta -> beta-shop)", result: "succeeded" });
        // gamma is on local: no tunnel; the prod tenants share one.
        expect(r.tunnels).toEqual(["prod"]);
    });

    it("on up, destroys deleted tenants and ups the rest; a failure exits 1 and the others still run", async () => {
        repo.write("tenants/acme.yaml", tenantYaml("acme", { online: true }));
        repo.write("tenants/beta.yaml", tenantYaml("beta", { online: true }));
        repo.remove("tenants/gamma.yaml");
        const head = repo.commit("merge");
        const r = await fleet(["up", "--changed", `${base}..${head}`, "--concurrency", "1"], ["acme"]);
        expect(r.code).toBe(1);
        expect(r.ops).toEqual(["acme:up", "beta:up", "gamma:destroy"]);
        // offboarding first (phase order), then the ups
        expect(r.ran[0].stack).toBe("gamma");
        expect(r.stdout).toMatch(/^acme\s+up\s+-\s+-\s+-\s+-\s+failed/m);
        expect(r.stdout).toMatch(/^beta\s+up\s+2\s+0\s+0\s+0\s+succeeded/m);
        expect(r.stdout).toMatch(/^gamma\s+destroy\s+2\s+0\s+0\s+5\s+succeeded/m);
        expect(r.stdout).toContain("acme: up failed:\n  error: acme exploded");
    });

    it("previews the platform when its stack config changes, and every stack when the tenant program changes", async () => {
        repo.write("Pulumi.prod.yaml", "config:\n  x: y\n");
        const h1 = repo.commit("prod config");
        expect((await fleet(["preview", "--changed", `${base}..${h1}`])).ops).toEqual(["prod:preview"]);
        repo.write("components/tenant.ts", "export {};\n");
        const h2 = repo.commit("component");
        expect((await fleet(["preview", "--changed", `${h1}..${h2}`])).ops).toEqual([
            "acme:preview", "beta:preview", "gamma:preview", "local:preview", "prod:preview",
        ]);
    });

    it("warns when the working tree has uncommitted tenant changes the range does not show", async () => {
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        const head = repo.commit("delta");
        repo.write("tenants/acme.yaml", tenantYaml("acme", { online: true }));
        const r = await fleet(["preview", "--changed", `${base}..${head}`]);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("fleet: warning: uncommitted changes under tenants/");
        expect(r.stderr).toContain("M tenants/acme.yaml");
        expect(r.ops).toEqual(["delta:preview"]);
    });

    it("runs nothing and exits 0 when the range changes no stack", async () => {
        repo.write("docs/x.md", "x\n");
        const r = await fleet(["preview", "--changed", `${base}..${repo.commit("docs")}`]);
        expect(r.code).toBe(0);
        expect(r.runnerMade).toBe(false);
        expect(r.stdout).toContain("no stacks to run");
    });

    it("refuses a range whose HEAD is not checked out", async () => {
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        const head = repo.commit("delta");
        repo.git("checkout", "-q", base);
        const r = await fleet(["preview", "--changed", `${base}..${head}`]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("is not the checked-out commit");
        expect(r.runnerMade).toBe(false);
    });
});

describe("fleet selection and refusals", () => {
    it("runs every tenant without a selection", async () => {
        expect((await fleet(["up"])).ops).toEqual(["acme:up", "beta:up", "gamma:up"]);
    });

    it("refuses to run anything when a tenant file is invalid, naming the file and field", async () => {
        repo.write("tenants/beta.yaml", tenantYaml("beta", { extra: "onlin: true" }));
        const r = await fleet(["preview"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/tenants\/beta\.yaml: onlin: unknown key/);
        expect(r.runnerMade).toBe(false);
    });

    it("destroys a named tenant whose file is gone, on the platform its last file named", async () => {
        repo.remove("tenants/gamma.yaml");
        repo.commit("gone");
        const r = await fleet(["destroy", "--tenant", "gamma"]);
        expect(r.code).toBe(0);
        expect(r.ran).toEqual([expect.objectContaining({ stack: "gamma", platform: "local", operation: "destroy" })]);
    });

    it("refuses destroy without --tenant, an unknown tenant for preview, a bad concurrency and unknown options", async () => {
        const cases: [string[], RegExp][] = [
            [["destroy"], /destroy needs --tenant NAME/],
            [["preview", "--tenant", "nosuch"], /--tenant nosuch: there is no tenants\/nosuch\.yaml/],
            [["up", "--concurrency", "0"], /--concurrency must be a whole number >= 1, got "0"/],
            [["up", "--concurency", "2"], /unknown option "--concurency"/],
            [["status", "--changed", "a..b"], /--changed works with preview and up/],
            [["preview", "--platform", "mars"], /--platform mars: there is no Pulumi\.mars\.yaml/],
        ];
        for (const [argv, message] of cases) {
            const r = await fleet(argv);
            expect(r.code, argv.join(" ")).toBe(2);
            expect(r.stderr).toMatch(message);
            expect(r.runnerMade).toBe(false);
        }
    });

    it("status covers every platform and every tenant, and names stacks left without a tenant file", async () => {
        repo.remove("tenants/gamma.yaml");
        repo.commit("gamma file gone, stack still there");
        const r = await fleet(["status"], [], ["acme", "beta", "gamma", "local", "prod"]);
        expect(r.ops).toEqual(["acme:status", "beta:status", "gamma:status", "local:status", "prod:status"]);
        expect(r.ran.find((t) => t.stack === "gamma")).toMatchObject({ platform: "local", reason: "no tenants/gamma.yaml: offboard it with fleet destroy --tenant gamma" });
        expect(r.tunnels).toEqual([]);
    });
});

describe("fleet preview --no-tunnel (pull-request previews: no SSH key, no MySQL)", () => {
    it("previews every tenant without opening a tunnel", async () => {
        const r = await fleet(["preview", "--no-tunnel"]);
        expect(r.code).toBe(0);
        expect(r.ops).toEqual(["acme:preview", "beta:preview", "gamma:preview"]);
        expect(r.tunnels).toEqual([]);
        // Without the flag the prod tenants share one tunnel, as before.
        expect((await fleet(["preview"])).tunnels).toEqual(["prod"]);
    });

    it("is refused for up and destroy, which change databases through the tunnel", async () => {
        for (const argv of [["up", "--no-tunnel"], ["destroy", "--tenant", "acme", "--no-tunnel"]]) {
            const r = await fleet(argv);
            expect(r.code, argv.join(" ")).toBe(2);
            expect(r.stderr).toMatch(/--no-tunnel works with preview only/);
            expect(r.runnerMade).toBe(false);
        }
    });
});
