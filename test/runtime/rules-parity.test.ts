/**
 * Both planes apply runtime/rules.json alike: the same tenant names and hosts go through the
 * control plane's validators (components/) and the data plane's (runtime/src, the real PHP, one
 * process), and each must give the verdict the row expects; the server layout the control plane
 * derives is the one Paths.php returns.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { hostProblem, hostSyntaxProblem } from "../../components/hosts";
import { TENANT_NAME } from "../../components/rules";
import { parseTenant, RESERVED_NAMES } from "../../components/tenant-spec";
import { serverPaths } from "../../infra/server-paths";
import type { PlatformConfig } from "../../infra/config";
import { phpBin } from "../../devenv/toolchain";

const AUTOLOAD = path.resolve(__dirname, "../../runtime/src/autoload.php");

interface PhpVerdicts {
    names: boolean[];
    hosts: { problem: string | null; normal: string | null }[];
    layouts: Record<string, Record<string, string | null> & { hostFilesConst: string; tenantsConst: string }>;
}

/** One PHP process answers every case; values travel as base64 of their UTF-8 bytes. */
function php(names: string[], hosts: string[], roots: string[], layoutNames: string[]): PhpVerdicts {
    const code = `require ${JSON.stringify(AUTOLOAD)};
        $in = json_decode(stream_get_contents(STDIN), true, 8, JSON_THROW_ON_ERROR);
        $names = array_map(static function (string $b64): bool {
            try { MokoWaaS\\Registry::assertTenantName(base64_decode($b64)); return true; }
            catch (MokoWaaS\\Cli\\UserError) { return false; }
        }, $in['names']);
        $hosts = array_map(static fn (string $b64): array => [
            'problem' => MokoWaaS\\Host::problem(base64_decode($b64)),
            'normal' => MokoWaaS\\Host::normalize(base64_decode($b64)),
        ], $in['hosts']);
        $layouts = [];
        foreach ($in['roots'] as $root) {
            $p = new MokoWaaS\\Paths($root);
            foreach ($in['layout'] as $name) {
                $layouts[$root][$name] = method_exists($p, $name) ? $p->$name() : null;
            }
            // What the bootstrap's fast path builds from the constants, without Paths' methods.
            $layouts[$root]['hostFilesConst'] = $p->root . MokoWaaS\\Paths::HOST_FILES;
            $layouts[$root]['tenantsConst'] = $p->root . MokoWaaS\\Paths::TENANTS;
        }
        echo json_encode(['names' => $names, 'hosts' => $hosts, 'layouts' => $layouts], JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);`;
    const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
    const input = JSON.stringify({ names: names.map(b64), hosts: hosts.map(b64), roots, layout: layoutNames });
    const r = spawnSync(phpBin(), ["-r", code], { input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`php failed (${r.status}): ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as PhpVerdicts;
}

/**
 * The control plane's verdict on a tenant name: the tenant-file validator's, which takes the name
 * from the file name (a name with "/" is no file name: the rule alone answers, and must agree).
 */
function tsNameOk(name: string): boolean {
    if (name.includes("/")) return TENANT_NAME.test(name);
    return !parseTenant(`tenants/${name}.yaml`, "").problems.some((p) => p.path === "name");
}

const b = (n: number) => "b".repeat(n);
// [name, valid?]: both planes must say exactly this.
const NAMES: [string, boolean][] = [
    ["ab", true], ["a1", true], ["acme", true], ["acme-widgets", true], ["a--b", true],
    ["ab-", true], // a trailing hyphen is allowed by the rule (the name is no DNS label)
    [`a${b(30)}`, true], // 31 characters, the most
    ["a", false], // 1 character
    [`a${b(31)}`, false], // 32 characters
    ["", false], ["1acme", false], ["-acme", false], ["Acme", false], ["ACME", false], ["acme_1", false],
    ["ac.me", false], ["ac me", false], ["acme\n", false], ["\nacme", false], ["acme\0", false], ["../acme", false],
    ["acme/x", false], ["café", false], ["ａｃｍｅ", false], ["acmé", false], ["аcme", false /* Cyrillic а */],
];

const label = (ch: string, n: number) => ch.repeat(n);
/** A host of exactly `length` characters under .com, no label longer than 63. */
const hostOf = (length: number) => `${label("a", 63)}.${label("b", 63)}.${label("c", 63)}.${label("d", length - 196)}.com`;
// [host, valid by the shared syntax rules?] (stored form: lowercase, no port, no trailing dot).
const HOSTS: [string, boolean][] = [
    ["example.com", true], ["dev.acme.example.com", true], ["a.co", true], ["1.example.com", true], ["a-b.c-d.example.co.uk", true],
    ["xn--bcher-kva.example.com", true], ["shop.xn--p1ai", true], ["foo.github.io", true],
    [`${label("a", 63)}.example.com`, true], // 63-character label, the most
    [hostOf(253), true], // 253 characters, the most
    // Valid syntax, refused by the control plane alone (not under an ICANN public suffix, or one itself).
    ["foo.local", true], ["x.y", true], ["shop.notarealtld", true], ["xn--bcher-kva.example", true], ["shop.test", true],
    ["co.uk", true], ["example.123a", true],
    ["", false], ["com", false], ["localhost", false],
    [`${label("a", 64)}.example.com`, false], // 64-character label
    [hostOf(254), false], // 254 characters
    ["example.com.", false], ["Example.com", false], ["EXAMPLE.COM", false], ["acme.example.com:443", false], ["acme.example.com:", false],
    ["bücher.example.com", false], ["xn--bcher-kva.example.com.", false], ["shop_1.example.com", false], ["-a.example.com", false],
    ["a-.example.com", false], ["a..example.com", false], [".example.com", false], ["1.2.3.4", false], ["example.123", false],
    ["[::1]", false], ["::1", false], ["acme example.com", false], ["acme.example.com/x", false], ["acme.example.com\n", false],
    ["acme.example.com\0", false], ["*.example.com", false], ["user@example.com", false], ["%2e%2e.example.com", false],
];
const NOT_PUBLIC = new Set(["foo.local", "x.y", "shop.notarealtld", "xn--bcher-kva.example", "shop.test", "co.uk", "example.123a"]);

// Raw Host headers the data plane normalizes: whatever it makes of one, the control plane's rules accept.
const RAW_HOSTS = ["ACME.Example.com", "acme.example.com.", "acme.example.com:8443", "Dev.Acme.Example.COM.:443", "xn--BCHER-kva.example.com"];

describe("runtime/rules.json: both planes give the same verdicts", () => {
    const hosts = [...HOSTS.map(([h]) => h), ...RAW_HOSTS];
    const roots = ["/", "/var/tmp/platform-a/"];
    const layoutNames = Object.keys(serverPaths({ paths: { root: "/" } } as PlatformConfig));
    let out: PhpVerdicts;
    beforeAll(() => {
        out = php(NAMES.map(([n]) => n), hosts, roots, layoutNames);
    });

    test(`tenant names: ${NAMES.length} cases, Registry::assertTenantName and the tenant-file validator`, () => {
        // The validator refuses a reserved name for another reason: the cases hold none.
        expect(NAMES.filter(([n]) => RESERVED_NAMES.has(n))).toEqual([]);
        const rows = NAMES.map(([name, valid], i) => ({ name, want: valid, ts: tsNameOk(name), php: out.names[i] }));
        expect(rows.filter((r) => r.ts !== r.want || r.php !== r.want)).toEqual([]);
    });

    test(`hosts: ${HOSTS.length} cases, Host::problem and hostSyntaxProblem; hostProblem adds only the public-suffix check`, () => {
        const rows = HOSTS.map(([host, valid], i) => ({
            host,
            want: valid,
            ts: hostSyntaxProblem(host) === undefined,
            php: out.hosts[i].problem === null,
            // A stored host is already in normal form: the data plane maps it to itself.
            normal: valid ? out.hosts[i].normal === host : true,
            icann: hostProblem(host) === undefined ? valid && !NOT_PUBLIC.has(host) : !valid || NOT_PUBLIC.has(host),
        }));
        expect(rows.filter((r) => r.ts !== r.want || r.php !== r.want || !r.normal || !r.icann)).toEqual([]);
    });

    test("raw Host headers: what the data plane normalizes them to, the control plane accepts", () => {
        const normals = RAW_HOSTS.map((_, i) => out.hosts[HOSTS.length + i].normal);
        expect(normals).toEqual(["acme.example.com", "acme.example.com", "acme.example.com", "dev.acme.example.com", "xn--bcher-kva.example.com"]);
        expect(normals.map((h) => ({ h, problem: hostSyntaxProblem(h ?? "") }))).toEqual(normals.map((h) => ({ h, problem: undefined })));
    });

    test.each(roots)("server layout under root %s: serverPaths equals Paths, one method per name", (root) => {
        const ts = serverPaths({ paths: { root } } as PlatformConfig);
        const { hostFilesConst, tenantsConst, ...fromPhp } = out.layouts[root];
        expect(fromPhp).toEqual(ts);
        expect([hostFilesConst, tenantsConst]).toEqual([`${ts.hostFiles}/`, `${ts.tenants}/`]);
    });
});
