/**
 * Benchmark (not a test): one tenant stack's program (index.ts for stack "acme") run under Pulumi
 * mocks, from import to the last resource registration. The runtime keeps global state, so each
 * run is its own process. Usage: `npx tsx bench/tenant-program/run.ts [RUNS]`.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const projectDir = path.join(__dirname, "..", "..");

async function once(): Promise<void> {
    const t0 = performance.now();
    const { installMocks, settle } = await import("../../test/unit/helpers/pulumi-mocks");
    const { platformStack } = await import("../../test/unit/helpers/platform-fixture");
    const registered = installMocks({ stack: "acme", stacks: { "organization/mokowaas/prod": platformStack() } });
    const t1 = performance.now();
    const mod = (await import("../../index")) as unknown as { default?: unknown };
    const program = (typeof mod === "function" ? mod : mod.default) as () => Promise<Record<string, unknown>>;
    const t2 = performance.now();
    await program();
    await settle();
    const t3 = performance.now();
    console.log(JSON.stringify({ setupMs: t1 - t0, importMs: t2 - t1, runMs: t3 - t2, resources: registered.length }));
}

function main(): void {
    const runs = Number(process.argv[2] ?? 5);
    const results: { setupMs: number; importMs: number; runMs: number; resources: number; wallMs: number }[] = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const out = execFileSync("npx", ["tsx", __filename], { cwd: projectDir, env: { ...process.env, BENCH_CHILD: "1" }, encoding: "utf8" });
        const wallMs = performance.now() - t0;
        results.push({ ...(JSON.parse(out.trim().split("\n").pop()!) as { setupMs: number; importMs: number; runMs: number; resources: number }), wallMs });
    }
    const median = (k: keyof (typeof results)[0]) => [...results.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(results.length / 2)];
    console.log(`tenant program "acme" under mocks (median of ${runs} processes):`);
    console.log(`  resources registered:        ${median("resources")}`);
    console.log(`  import of index.ts and deps: ${median("importMs").toFixed(0)} ms`);
    console.log(`  program run to last resource: ${median("runMs").toFixed(0)} ms`);
    console.log(`  whole process (tsx start incl.): ${median("wallMs").toFixed(0)} ms`);
}

if (process.env.BENCH_CHILD) {
    once().catch((e) => {
        console.error(e);
        process.exit(1);
    });
} else {
    main();
}
