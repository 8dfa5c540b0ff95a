/**
 * runtime/src/Host.php, the one host normalizer: rows of [raw Host, expected normal form or null
 * (= 400)], run through the real PHP in one process.
 */
import { phpBin } from "../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, test } from "vitest";

// Host.php and the generated Rules.php it reads its rules from (runtime/rules.json).
const HOST_PHP = path.resolve(__dirname, "../../runtime/src/autoload.php");

function normalizeAll(raws: string[]): (string | null)[] {
    const code = `require ${JSON.stringify(HOST_PHP)};
        $in = json_decode(stream_get_contents(STDIN), true);
        echo json_encode(array_map(fn ($h) => MokoWaaS\\Host::normalize(base64_decode($h)), $in));`;
    const r = spawnSync(phpBin(), ["-r", code], { input: JSON.stringify(raws.map((h) => Buffer.from(h, "latin1").toString("base64"))), encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
}

const good: [string, string][] = [
    ["dev.acme.example.com", "dev.acme.example.com"],
    ["DEV.Acme.Example.COM", "dev.acme.example.com"],
    ["acme.example.com.", "acme.example.com"],
    ["acme.example.com:443", "acme.example.com"],
    ["ACME.example.com.:8443", "acme.example.com"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["a-b.c-d.example.co.uk", "a-b.c-d.example.co.uk"],
    [`${"a".repeat(63)}.example.com`, `${"a".repeat(63)}.example.com`],
];

// Hostile or malformed Host values: each must be refused (400), never resolved.
const hostile: string[] = [
    "", ".", "..", "example..com", "../etc/passwd", "acme.example.com/../x", "acme.example.com\\x", "acme.example.com\0",
    "acme.example.com\0.evil.com", "acme.example.com:", "acme.example.com:abc", "acme.example.com:0", "acme.example.com:65536",
    "acme.example.com:443:443", "acme.example.com:123456", "[::1]", "[::1]:443", "::1", "127.0.0.1", "127.0.0.1:443",
    "10.0.0.1.", "localhost", "-acme.example.com", "acme-.example.com", "acme_x.example.com", "user@acme.example.com",
    "acme example.com", "acme.example.com\r\nX-Injected: 1", "acme.example.com\t", "bücher.example", "%2e%2e.example.com",
    `${"a".repeat(64)}.example.com`, `${"a.".repeat(127)}com`, `${"a".repeat(1001)}`, `${".".repeat(101)}example.com`,
    `acme.example.com${":".repeat(101)}`, "acme.example.com..", "*.example.com", "acme.example.com#x", "acme.example.com?x",
];

describe("Host::normalize", () => {
    test("normalizes case, port and one trailing dot", () => {
        expect(normalizeAll(good.map(([raw]) => raw))).toEqual(good.map(([, want]) => want));
    });

    test(`refuses ${hostile.length} hostile or malformed hosts`, () => {
        expect(hostile.length).toBeGreaterThanOrEqual(20);
        const out = normalizeAll(hostile);
        const accepted = hostile.filter((_, i) => out[i] !== null);
        expect(accepted).toEqual([]);
    });

    test("Host::problem accepts only the normal form the registry stores", () => {
        const code = `require ${JSON.stringify(HOST_PHP)};
            echo json_encode([MokoWaaS\\Host::problem('acme.example.com'), MokoWaaS\\Host::problem('Acme.example.com'), MokoWaaS\\Host::problem('1.2.3.4')]);`;
        const [ok, upper, ip] = JSON.parse(spawnSync(phpBin(), ["-r", code], { encoding: "utf8" }).stdout);
        expect(ok).toBeNull();
        expect(upper).toContain('must be written in normal form: "acme.example.com"');
        expect(ip).toContain("is not a host name");
    });
});
