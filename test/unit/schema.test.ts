/** tenants/schema.json is generated from the tenant spec: it must not be stale, and every tenant file uses it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseTenant, tenantFiles, tenantJsonSchema } from "../../components/tenant-spec";
import { PROJECT_DIR } from "./helpers/stack-config";

describe("tenants/schema.json", () => {
    it("equals what `npm run schema` writes now (run it after changing components/tenant-spec.ts)", () => {
        const onDisk = fs.readFileSync(path.join(PROJECT_DIR, "tenants", "schema.json"), "utf8");
        expect(onDisk).toBe(JSON.stringify(tenantJsonSchema(), null, 2) + "\n");
    });

    it("refuses unknown keys at every level, as the validator does", () => {
        const schema = tenantJsonSchema() as { additionalProperties: boolean; properties: Record<string, { additionalProperties?: boolean }> };
        expect(schema.additionalProperties).toBe(false);
        for (const key of ["domains", "dns", "admin", "comingSoon", "backup"]) expect({ [key]: schema.properties[key].additionalProperties }).toEqual({ [key]: false });
    });

    it("requires exactly the fields the validator names as missing from an empty file", () => {
        type Node = { required?: string[]; properties?: Record<string, Node> };
        const requiredLeaves = (node: Node, prefix = ""): string[] =>
            (node.required ?? []).flatMap((key) => {
                const child = node.properties?.[key] ?? {};
                return child.required ? requiredLeaves(child, `${prefix}${key}.`) : [`${prefix}${key}`];
            });
        const fromSchema = requiredLeaves(tenantJsonSchema());
        const fromValidator = parseTenant("t/empty-file.yaml", "").problems.map((p) => `${p.path}: ${p.message}`);
        expect(fromSchema).toEqual(["displayName", "domains.production", "admin.username", "admin.email"]);
        expect(fromValidator).toEqual(fromSchema.map((field) => `${field}: is required (string)`));
    });

    it("is referenced by every tenant file for editor completion", () => {
        const files = tenantFiles(path.join(PROJECT_DIR, "tenants"));
        expect(files.length).toBeGreaterThan(0);
        for (const f of files) expect({ [f]: fs.readFileSync(f, "utf8").split("\n")[0] }).toEqual({ [f]: "# yaml-language-server: $schema=./schema.json" });
    });
});
