/**
 * The tenants' Unix users a test platform made (runtime/src/TenantAccount.php names them after
 * the platform root and marks them with a comment naming it): removed when the test is done, so
 * no run leaves accounts behind on the machine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** Accounts whose comment marks them as tenants of the platform at `root`. */
export function tenantAccountsOf(root: string): string[] {
    return fs.readFileSync("/etc/passwd", "utf8").split("\n")
        .map((l) => l.split(":"))
        .filter((f) => f.length > 4 && / at (.+)$/.exec(f[4])?.[1] === root.replace(/\/+$/, "") && f[4].startsWith("MokoWaaS tenant "))
        .map((f) => f[0]);
}

export function removeTenantAccounts(root: string): void {
    for (const name of tenantAccountsOf(root)) spawnSync("userdel", [name]);
}
