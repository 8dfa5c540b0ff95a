import { defineConfig } from "vitest/config";

// Four tiers (see DESIGN.md "Tests"): unit (mocks), provider (DreamHost emulator), runtime (real
// MariaDB, PHP-FPM, Caddy, Borg), e2e (the real Pulumi engine). `npm test` runs them all.
export default defineConfig({
    test: {
        projects: [
            { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000 } },
            { test: { name: "provider", include: ["test/provider/**/*.test.ts"], testTimeout: 60_000 } },
            {
                test: {
                    name: "runtime",
                    include: ["test/runtime/**/*.test.ts"],
                    globalSetup: ["test/runtime/global-setup.ts"],
                    testTimeout: 120_000,
                    hookTimeout: 180_000,
                },
            },
            {
                test: {
                    name: "e2e",
                    include: ["test/e2e/**/*.test.ts"],
                    testTimeout: 1_800_000,
                    hookTimeout: 1_800_000,
                    fileParallelism: false,
                },
            },
        ],
    },
});
