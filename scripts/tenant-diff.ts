/**
 * `npm run --silent tenant-diff -- BASE..HEAD [--repo DIR]`: Markdown on stdout of what the range
 * does to tenants (added, removed = offboarding, renamed, changed fields), from the YAML files at
 * BASE and HEAD. No engine, no state. Exit 0; 1 when a tenant file at HEAD is invalid (the Markdown
 * still says which and why); 2 on a usage or git error.
 */
import * as path from "node:path";
import { renderTenantDiff, tenantDiff } from "../fleet/tenant-diff";

function main(argv: string[]): number {
    let repo = path.join(__dirname, "..");
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--repo") repo = argv[++i] ?? "";
        else if (argv[i] === "-h" || argv[i] === "--help") {
            console.log("usage: npm run --silent tenant-diff -- BASE..HEAD [--repo DIR]");
            return 0;
        } else rest.push(argv[i]);
    }
    if (rest.length !== 1 || !repo) {
        console.error("usage: npm run --silent tenant-diff -- BASE..HEAD [--repo DIR]   (e.g. origin/main..HEAD)");
        return 2;
    }
    try {
        const diff = tenantDiff(repo, rest[0]);
        process.stdout.write(renderTenantDiff(diff));
        return diff.entries.some((e) => e.kind === "invalid") ? 1 : 0;
    } catch (e) {
        console.error(`tenant-diff: ${e instanceof Error ? e.message : String(e)}`);
        return 2;
    }
}

process.exitCode = main(process.argv.slice(2));
