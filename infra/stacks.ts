/**
 * The two kinds of stack this program declares, and how a stack's role is chosen (DESIGN.md
 * "Stacks"): a stack named after a file in tenants/ is that tenant; any other stack must carry
 * platform config.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readPlatform, unofferedExtensions } from "../components/platform-ref";
import { TenantComponent } from "../components/tenant";
import { type TenantSpec, TenantValidationError, loadTenants } from "../components/tenant-spec";
import { hasPlatformConfig, readPlatformConfig } from "./config";
import { Platform } from "./platform";

/** Config keys of a tenant stack (namespace mokowaas:). */
export const TENANT_STACK_KEYS = ["platformStack", "mysqlEndpoint", "tenantsDir"] as const;

/** A stack that is neither a tenant nor a platform. */
export class StackRoleError extends Error {
    constructor(stack: string, tenantsDir: string) {
        super(
            `stack "${stack}" is neither a tenant nor a platform: there is no ${path.join(tenantsDir, `${stack}.yaml`)} ` +
                `and no platform config (mokowaas:server). To add a tenant, create that file (see tenants/acme.yaml); ` +
                `to add a platform, set its config in Pulumi.${stack}.yaml (see docs/config.md).`,
        );
        this.name = "StackRoleError";
    }
}

/** Validates every tenant file first: one bad file and the program declares nothing. */
export function loadAllTenants(tenantsDir: string): TenantSpec[] {
    const { specs, problems } = loadTenants(tenantsDir);
    if (problems.length > 0) throw new TenantValidationError(problems);
    return specs;
}

export async function tenantStack(spec: TenantSpec, cfg: pulumi.Config): Promise<Record<string, unknown>> {
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith("mokowaas:"))
        .map((k) => k.slice("mokowaas:".length))
        .filter((k) => !(TENANT_STACK_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) {
        throw new pulumi.RunError(
            `tenant stack "${spec.name}": ${unknown.map((k) => `mokowaas:${k}`).join(", ")} is not a tenant-stack key ` +
                `(tenant settings belong in ${spec.file}; tenant-stack keys: ${TENANT_STACK_KEYS.join(", ")})`,
        );
    }
    // The platform's outputs are the contract (components/platform-ref.ts); the StackReference
    // name comes from config, defaulting to the file backend's organization/mokowaas/<platform>.
    const platform = await readPlatform(spec.platform, { stackName: cfg.get("platformStack"), mysqlEndpoint: cfg.get("mysqlEndpoint") });
    const unoffered = unofferedExtensions(spec.extensions, platform);
    if (unoffered) throw new pulumi.RunError(`${spec.file}: ${unoffered}`);
    const tenant = new TenantComponent(spec.name, { spec, platform });
    return {
        tenant: spec.name,
        platform: spec.platform,
        online: spec.online,
        urls: tenant.urls,
        database: tenant.database,
        adminUsername: tenant.adminUsername,
        adminPassword: tenant.adminPassword,
        dnsProvider: spec.dns.provider,
        dnsRecords: tenant.dnsRecords,
    };
}

export function platformStack(stack: string, cfg: pulumi.Config, projectDir: string): Record<string, unknown> {
    return { ...new Platform(stack, readPlatformConfig(stack, cfg, projectDir)).outputs };
}

/** The whole program: validate, pick the role, declare. */
export async function main(projectDir: string): Promise<Record<string, unknown>> {
    const stack = pulumi.getStack();
    const cfg = new pulumi.Config("mokowaas");
    const tenantsDir = path.relative(process.cwd(), path.resolve(projectDir, cfg.get("tenantsDir") ?? "tenants")) || ".";
    const specs = loadAllTenants(tenantsDir);
    const spec = specs.find((s) => s.name === stack);
    if (spec) return tenantStack(spec, cfg);
    if (hasPlatformConfig(cfg)) return platformStack(stack, cfg, projectDir);
    throw new StackRoleError(stack, tenantsDir);
}
