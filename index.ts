/**
 * MokoWaaS Pulumi program. A stack named after a file in tenants/ declares that tenant; any other
 * stack declares a platform from its config (see infra/stacks.ts, docs/config.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfigError } from "./infra/config";
import { StackRoleError, main } from "./infra/stacks";
import { TenantValidationError } from "./components/tenant-spec";

export = async (): Promise<Record<string, unknown>> => {
    try {
        return await main(__dirname);
    } catch (e) {
        // A user's mistake: show the message (every problem, one a line), not a stack trace.
        if (e instanceof TenantValidationError || e instanceof PlatformConfigError || e instanceof StackRoleError) {
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
};
