import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectChanges } from "../../fleet/changes";
import { GitError } from "../../fleet/git";
import { TempRepo, tenantYaml } from "../../fleet/testing/git-repo";

let repo: TempRepo;
let base: string;

beforeEach(() => {
    repo = new TempRepo();
    repo.write("tenants/acme.yaml", tenantYaml("acme"))
        .write("tenants/beta.yaml", tenantYaml("beta"))
        .write("tenants/gamma.yaml", tenantYaml("gamma", { platform: "local" }))
        .write("tenants/schema.json", "{}\n")
        .write("Pulumi.yaml", "name: mokowaas\nruntime: nodejs\n")
        .write("Pulumi.prod.yaml", "config: {}\n")
        .write("Pulumi.local.yaml", "config: {}\n")
        .write("docs/fleet.md", "# fleet\n");
    base = repo.commit("base");
});
afterEach(() => repo.cleanup());

const summary = (range: string) => detectChanges(repo.dir, range).tenants.map((t) => [t.tenant, t.kind, t.path, t.renamed ?? null] as const);

describe("change detection between two commits", () => {
    it("reports an added tenant file as added", () => {
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        const head = repo.commit("add delta");
        expect(summary(`${base}..${head}`)).toEqual([["delta", "added", "tenants/delta.yaml", null]]);
    });

    it("reports a modified tenant file as modified", () => {
        repo.write("tenants/acme.yaml", tenantYaml("acme", { online: true }));
        const head = repo.commit("acme online");
        expect(summary(`${base}..${head}`)).toEqual([["acme", "modified", "tenants/acme.yaml", null]]);
    });

    it("reports a deleted tenant file as deleted, with its path at BASE", () => {
        repo.remove("tenants/beta.yaml");
        const head = repo.commit("offboard beta");
        expect(summary(`${base}..${head}`)).toEqual([["beta", "deleted", "tenants/beta.yaml", null]]);
    });

    it("reports a rename as the old tenant deleted and the new one added, both marked renamed", () => {
        repo.move("tenants/acme.yaml", "tenants/acme-shop.yaml");
        const head = repo.commit("rename acme");
        const renamed = { from: "acme", to: "acme-shop" };
        expect(summary(`${base}..${head}`)).toEqual([
            ["acme", "deleted", "tenants/acme.yaml", renamed],
            ["acme-shop", "added", "tenants/acme-shop.yaml", renamed],
        ]);
    });

    it("treats a tenant file re-spelled from .yml to .yaml as the same tenant modified", () => {
        repo.move("tenants/acme.yaml", "tenants/acme.yml");
        const mid = repo.commit("yml");
        repo.move("tenants/acme.yml", "tenants/acme.yaml");
        const head = repo.commit("yaml");
        expect(summary(`${mid}..${head}`)).toEqual([["acme", "modified", "tenants/acme.yaml", null]]);
    });

    it("ignores files that are not tenant files (schema.json, docs, nested folders)", () => {
        repo.write("tenants/schema.json", '{"x":1}\n').write("docs/fleet.md", "# changed\n").write("tenants/old/zeta.yaml", tenantYaml("zeta"));
        const head = repo.commit("noise");
        const c = detectChanges(repo.dir, `${base}..${head}`);
        expect(c.tenants).toEqual([]);
        expect(c.shared).toEqual([]);
    });

    it("reports several changes at once, sorted by tenant", () => {
        repo.write("tenants/acme.yaml", tenantYaml("acme", { aliases: ["www.acme.example.com"] }));
        repo.remove("tenants/gamma.yaml");
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        const head = repo.commit("mixed");
        expect(summary(`${base}..${head}`).map((r) => `${r[0]}:${r[1]}`)).toEqual(["acme:modified", "delta:added", "gamma:deleted"]);
    });

    it("reports a changed platform stack config and shared program code with the stacks they affect", () => {
        repo.write("Pulumi.prod.yaml", "config:\n  mokowaas:serverType: cx32\n")
            .write("infra/server.ts", "export {};\n")
            .write("components/tenant.ts", "export {};\n");
        const head = repo.commit("platform");
        const shared = detectChanges(repo.dir, `${base}..${head}`).shared;
        expect(shared).toEqual([
            { path: "Pulumi.prod.yaml", affects: { platform: "prod", allPlatforms: false, allTenants: false } },
            { path: "components/tenant.ts", affects: { allPlatforms: true, allTenants: true } },
            { path: "infra/server.ts", affects: { allPlatforms: true, allTenants: false } },
        ]);
    });

    it("with BASE...HEAD compares against the merge base, leaving out what the base branch did since", () => {
        repo.git("checkout", "-q", "-b", "feature");
        repo.write("tenants/delta.yaml", tenantYaml("delta"));
        repo.commit("feature adds delta");
        repo.git("checkout", "-q", "main");
        repo.remove("tenants/beta.yaml");
        repo.commit("main offboards beta");
        expect(summary("main...feature").map((r) => `${r[0]}:${r[1]}`)).toEqual(["delta:added"]);
        // Two dots compare the tips: beta looks re-added from main's point of view.
        expect(summary("main..feature").map((r) => `${r[0]}:${r[1]}`)).toEqual(["beta:added", "delta:added"]);
    });

    it("refuses a malformed range or an unknown revision with a message saying what to do", () => {
        expect(() => detectChanges(repo.dir, "main")).toThrowError(/"main" is not a range: write BASE\.\.HEAD/);
        expect(() => detectChanges(repo.dir, "nosuch..main")).toThrowError(GitError);
        expect(() => detectChanges(repo.dir, "nosuch..main")).toThrowError(/revision "nosuch" is not a commit .*fetch-depth: 0/);
    });
});
