/** Reads a Pulumi.<stack>.yaml into the form `pulumi.runtime.setAllConfig` takes (objects as JSON). */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const PROJECT_DIR = path.join(__dirname, "..", "..", "..");

export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const doc = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const merged: Record<string, unknown> = { ...doc.config, ...overrides };
    return Object.fromEntries(
        Object.entries(merged)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}
