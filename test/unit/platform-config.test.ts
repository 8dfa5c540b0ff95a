/** Platform config rules: one MySQL tunnel port per platform (across stack files); the extension list. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PlatformConfigError, parsePlatformConfig, tunnelPortClashes } from "../../infra/config";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-config-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const stack = (name: string, text: string) => fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);

stack("prod", "config:\n  mokowaas:server:\n    provider: hetzner\n"); // no mysql key: the default port 13306
stack("eu", "config:\n  mokowaas:server:\n    provider: hetzner\n  mokowaas:mysql:\n    tunnelPort: 13307\n");
stack("local", "config:\n  mokowaas:server:\n    provider: existing\n  mokowaas:mysql:\n    tunnelPort: null\n");
stack("acme", "config:\n  mokowaas:platformStack: organization/mokowaas/prod\n"); // a tenant stack
stack("broken", "config: [unclosed\n");

describe("tunnelPortClashes", () => {
    it("names every other platform on the same port, the default counting as 13306", () => {
        expect(tunnelPortClashes(dir, "us", 13306)).toEqual(["prod"]);
        expect(tunnelPortClashes(dir, "us", 13307)).toEqual(["eu"]);
    });

    it("ignores the stack itself, platforms without a tunnel, tenant stacks and unreadable files", () => {
        expect(tunnelPortClashes(dir, "prod", 13306)).toEqual([]);
        expect(tunnelPortClashes(dir, "us", 13308)).toEqual([]);
        expect(tunnelPortClashes(dir, "us", null)).toEqual([]);
    });
});

describe("mokowaas:extensions", () => {
    const base = {
        hostname: "prod.example.net", server: { provider: "existing", address: "203.0.113.7" },
        ssh: { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" },
        joomla: { version: "6.0.4", url: "https://example.com/j.zip", sha512: "a".repeat(128) },
    };
    const problems = (extensions: unknown): string[] => {
        try {
            parsePlatformConfig("prod", { ...base, extensions });
            return [];
        } catch (e) {
            if (e instanceof PlatformConfigError) return e.problems;
            throw e;
        }
    };

    it("takes a list of packages, each a name, a URL or a server path, and a SHA-512; none by default", () => {
        expect(parsePlatformConfig("prod", base).extensions).toEqual([]);
        expect(problems([{ name: "probe", url: "https://example.com/pkg_probe.zip", sha512: "b".repeat(128) }, { name: "forms-2", path: "/srv/mirror/pkg_forms.zip", sha512: "c".repeat(128) }])).toEqual([]);
    });

    it("names each wrong field", () => {
        expect(problems([
            { name: "Probe", url: "https://example.com/p.zip", sha512: "b".repeat(128) },
            { name: "probe", sha512: "b".repeat(128) },
            { name: "probe", url: "https://example.com/p.zip", path: "/p.zip", sha512: "B".repeat(128) },
        ])).toEqual([
            "mokowaas:extensions.0.name: must be a lowercase letter, then up to 63 of a-z, 0-9, _ and -",
            "mokowaas:extensions.2.sha512: must be the 128 lowercase hex digits of a SHA-512 checksum",
            "mokowaas:extensions.1: set exactly one of url and path: where extension \"probe\"'s package is",
            "mokowaas:extensions.2: set exactly one of url and path: where extension \"probe\"'s package is",
            "mokowaas:extensions.2.name: \"probe\" is listed more than once",
        ]);
        expect(problems([
            { name: "probe", sha512: "b".repeat(128) },
            { name: "probe", url: "https://example.com/p.zip", path: "/p.zip", sha512: "b".repeat(128) },
        ])).toEqual([
            "mokowaas:extensions.0: set exactly one of url and path: where extension \"probe\"'s package is",
            "mokowaas:extensions.1: set exactly one of url and path: where extension \"probe\"'s package is",
            "mokowaas:extensions.1.name: \"probe\" is listed more than once",
        ]);
    });
});
