// ESLint for the control plane's TypeScript (runtime/ is PHP: `npm run lint` runs Mago on it).
// Type-aware: the rules that need types (floating or misused promises, unsafe `any`) are the ones
// that catch real bugs in Pulumi programs, the fleet runner and the test harness.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    globalIgnores(["node_modules/", ".cache/", ".pulumi/", "tmp/", "runtime/", "tools/", "**/fixtures/"]),
    {
        files: ["**/*.ts", "**/*.mts"],
        extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            // `const { secret: _, ...rest } = x` is how the code drops a key: not an unused variable.
            "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_", ignoreRestSiblings: true }],
            // Pulumi's provider interface and vitest hooks take async functions that need not await.
            "@typescript-eslint/require-await": "off",
        },
    },
    {
        // Tests read the CLI's --json output and poke at it: `any` there is checked by the assertions.
        files: ["test/**"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
        },
    },
);
