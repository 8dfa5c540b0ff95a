/** Platform config rules that span stack files: one MySQL tunnel port per platform. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tunnelPortClashes } from "../../infra/config";

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
