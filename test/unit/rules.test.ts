/**
 * runtime/rules.json is the one definition of tenant names, host names and the server layout:
 * the data plane's copy (runtime/src/Rules.php) must be generated from it, and the rules must be
 * consistent with each other. test/runtime/rules-parity.test.ts runs them through both planes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { HOST_RULES, rulesPhp, SERVER_LAYOUT } from "../../components/rules";
import { PROJECT_DIR } from "./helpers/stack-config";

describe("runtime/rules.json", () => {
    it("is what runtime/src/Rules.php holds (run `npm run rules` after changing runtime/rules.json)", () => {
        expect(fs.readFileSync(path.join(PROJECT_DIR, "runtime", "src", "Rules.php"), "utf8")).toBe(rulesPhp());
    });

    it("lists as key characters exactly the characters a host in normal form can hold", () => {
        // The bootstrap's fast path tries a Host made only of key characters as a file name: a
        // character too many could name another file, one too few sends valid hosts the slow way.
        const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
        const inHosts = printable.filter((ch) => ch === "." || HOST_RULES.label.test(`a${ch}a`));
        expect([...HOST_RULES.keyChars].sort()).toEqual(inHosts.sort());
        expect(HOST_RULES.keyChars).not.toMatch(/[/\\\0]/);
    });

    it("keeps every server path absolute, normalized and inside a mokowaas folder", () => {
        for (const [name, p] of Object.entries(SERVER_LAYOUT)) {
            expect({ [name]: path.posix.normalize(p) }).toEqual({ [name]: p });
            expect({ [name]: p }).toEqual({ [name]: expect.stringMatching(/^\/(?:[a-z]+\/)*mokowaas(?:\/|$)/) });
            expect({ [name]: p.endsWith("/") }).toEqual({ [name]: false });
        }
    });

    it("holds every platform folder that server files and config templates name (they cannot read it)", () => {
        const dirs = ["runtime/caddy", "runtime/php-fpm", "runtime/systemd", "runtime/src", "runtime/joomla", "infra", "devenv", "components"];
        const files = dirs.flatMap((d) =>
            (fs.readdirSync(path.join(PROJECT_DIR, d), { recursive: true }) as string[]).map((f) => path.join(d, f)).filter((f) => fs.statSync(path.join(PROJECT_DIR, f)).isFile()));
        const PLATFORM_PATH = /\/(?:etc|srv|run|var\/lib|var\/log|var\/backups)\/mokowaas(?:\/[A-Za-z0-9_{}*.-]*[A-Za-z0-9_{}*-])*/g;
        const layout = Object.values(SERVER_LAYOUT);
        const outside = files.flatMap((f) =>
            [...fs.readFileSync(path.join(PROJECT_DIR, f), "utf8").matchAll(PLATFORM_PATH)]
                .map((m) => m[0])
                .filter((p) => !layout.some((l) => p === l || p.startsWith(`${l}/`)))
                .map((p) => `${f}: ${p}`));
        expect(files.length).toBeGreaterThan(50);
        expect(outside).toEqual([]);
    });
});
