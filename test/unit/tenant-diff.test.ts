import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderTenantDiff, tenantDiff } from "../../fleet/tenant-diff";
import { TempRepo, tenantYaml } from "../../fleet/testing/git-repo";

let repo: TempRepo;
let base: string;

beforeEach(() => {
    repo = new TempRepo();
    repo.write("tenants/acme.yaml", tenantYaml("acme", { aliases: ["www.acme.example.com"] }))
        .write("tenants/beta.yaml", tenantYaml("beta"))
        .write("Pulumi.prod.yaml", "config: {}\n");
    base = repo.commit("base");
});
afterEach(() => repo.cleanup());

const md = (head: string) => renderTenantDiff(tenantDiff(repo.dir, `${base}..${head}`));

describe("tenant-diff Markdown", () => {
    it("shows each changed field with its old and new value, defaults resolved", () => {
        repo.write("tenants/acme.yaml", tenantYaml("acme", { online: true, aliases: ["shop.acme.example.com"] }));
        const out = md(repo.commit("acme online"));
        expect(out).toContain("#### Changed\n\n- `acme` (`tenants/acme.yaml`)\n");
        expect(out).toContain("  - `online`: `false` -> `true`\n");
        expect(out).toContain("  - `domains.aliases`: added `shop.acme.example.com`, removed `www.acme.example.com`\n");
        expect(out).not.toMatch(/beta/);
        expect(out).not.toMatch(/OFFBOARDING/);
    });

    it("does not report a default written out explicitly as a change", () => {
        repo.write("tenants/beta.yaml", tenantYaml("beta", { online: false, extra: "dns:\n  provider: external\n# a comment" }));
        const out = md(repo.commit("explicit defaults"));
        expect(out).toContain("- `beta` (`tenants/beta.yaml`)\n  - no field changes (comments or formatting only)\n");
    });

    it("lists an added tenant with its hosts, platform and online state", () => {
        repo.write("tenants/delta.yaml", tenantYaml("delta", { platform: "local" }));
        const out = md(repo.commit("add delta"));
        expect(out).toContain("#### Added\n\n- `delta` (`tenants/delta.yaml`)\n");
        expect(out).toContain("display name `delta site`, platform `local`");
        expect(out).toContain("production `delta.example.com` (offline: coming-soon page), dev `dev.delta.example.com`");
    });

    it("puts a removed tenant in bold as an offboarding, with the hosts that stop serving", () => {
        repo.remove("tenants/acme.yaml");
        const out = md(repo.commit("offboard acme"));
        expect(out).toContain("#### Removed\n\n- **OFFBOARDING `acme`** from platform `prod` (`tenants/acme.yaml` deleted)");
        expect(out).toContain("hosts `acme.example.com`, `dev.acme.example.com`, `www.acme.example.com`");
    });

    it("says in bold that a rename is an offboarding plus a new tenant", () => {
        repo.move("tenants/acme.yaml", "tenants/acme-shop.yaml");
        const out = md(repo.commit("rename"));
        expect(out).toContain("**Renaming `acme` to `acme-shop` is an offboarding of `acme` plus a new tenant `acme-shop`**");
        expect(out).toContain("- **OFFBOARDING `acme`** from platform `prod` (`tenants/acme.yaml` deleted, renamed to `acme-shop`)");
        expect(out).toContain("- `acme-shop` (`tenants/acme-shop.yaml`) — renamed from `acme`");
    });

    it("flags a platform move in bold", () => {
        repo.write("tenants/beta.yaml", tenantYaml("beta", { platform: "prod-eu" }));
        const out = md(repo.commit("move beta"));
        expect(out).toContain("**`platform`: `prod` -> `prod-eu`: moving a tenant to another platform is not an in-place change");
    });

    it("reports an invalid tenant file at HEAD with the validator's problems instead of failing", () => {
        repo.write("tenants/beta.yaml", tenantYaml("beta", { extra: "onlin: true" }));
        const d = tenantDiff(repo.dir, `${base}..${repo.commit("typo")}`);
        expect(d.entries.map((e) => e.kind)).toEqual(["invalid"]);
        expect(renderTenantDiff(d)).toContain("- **`beta`** (`tenants/beta.yaml`) does not validate and would declare nothing:\n  - `onlin`: unknown key");
    });

    it("says which stacks re-run for a platform config change and tells tenant stack config apart", () => {
        repo.write("Pulumi.prod.yaml", "config:\n  a: b\n").write("Pulumi.acme.yaml", "config: {}\n");
        const out = md(repo.commit("configs"));
        expect(out).toContain("No tenant file changes.");
        expect(out).toContain("- re-runs platform stack `prod`: `Pulumi.prod.yaml` changed");
        expect(out).toContain("- re-runs tenant `acme` (its stack config): `Pulumi.acme.yaml` changed");
    });

    it("groups shared code changes by the stacks they re-run", () => {
        for (let i = 0; i < 10; i++) repo.write(`components/c${i}.ts`, "export {};\n");
        repo.write("infra/server.ts", "export {};\n");
        const out = md(repo.commit("code"));
        expect(out).toContain("- re-runs every platform stack and every tenant stack: `components/c0.ts`, `components/c1.ts`, `components/c2.ts`, `components/c3.ts`, `components/c4.ts`, `components/c5.ts`, `components/c6.ts`, `components/c7.ts` and 2 more changed\n");
        expect(out).toContain("- re-runs every platform stack: `infra/server.ts` changed\n");
    });
});

describe("npm run tenant-diff", () => {
    const script = path.join(__dirname, "..", "..", "scripts", "tenant-diff.ts");
    const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
    const run = (args: string[]) => {
        try {
            return { code: 0, stdout: execFileSync(tsx, [script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }), stderr: "" };
        } catch (e) {
            const err = e as { status: number; stdout: string; stderr: string };
            return { code: err.status, stdout: err.stdout, stderr: err.stderr };
        }
    };

    it("prints the Markdown and exits 0, 1 for an invalid file at HEAD, 2 for a bad range", () => {
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        const ok = run(["--repo", repo.dir, `${base}..${repo.commit("add")}`]);
        expect(ok.code).toBe(0);
        expect(ok.stdout).toContain("- `delta` (`tenants/delta.yaml`)");

        repo.write("tenants/delta.yaml", "displayName: [\n");
        const bad = run(["--repo", repo.dir, `${base}..${repo.commit("broken")}`]);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toContain("YAML syntax");

        const usage = run(["--repo", repo.dir, "main"]);
        expect(usage.code).toBe(2);
        expect(usage.stderr).toContain('"main" is not a range');
    });
});
