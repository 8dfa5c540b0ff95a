/**
 * `npm run --silent validate -- DIR`: every problem on its own exact line, exit codes, cross-file
 * host ownership; run as a user runs it (npm from a folder of their choice).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crossFileProblems, formatProblem, loadTenants, parseTenant } from "../../components/tenant-spec";
import { registryEntry } from "../../components/tenant";
import { PROJECT_DIR } from "./helpers/stack-config";

const run = promisify(execFile);
let work: string;

/** Runs the validator with npm from `cwd`; returns stdout lines, stderr and the exit code. */
async function validate(cwd: string, ...args: string[]): Promise<{ lines: string[]; stderr: string; code: number }> {
    try {
        const r = await run("npm", ["--prefix", PROJECT_DIR, "run", "--silent", "validate", "--", ...args], { cwd });
        return { lines: r.stdout.split("\n").filter(Boolean), stderr: r.stderr, code: 0 };
    } catch (e) {
        const err = e as { stdout: string; stderr: string; code: number };
        return { lines: err.stdout.split("\n").filter(Boolean), stderr: err.stderr, code: err.code };
    }
}

function writeTenants(dir: string, files: Record<string, string>): void {
    fs.mkdirSync(path.join(work, dir), { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(work, dir, name), text);
}

beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-validate-"));
    writeTenants("bad", {
        "typo.yaml": "dispalyName: Typo Shop\ndomains:\n  prodution: typo.example.com\nadmin:\n  username: typo-admin\n  email: typo@example.com\n",
        "upper.yaml":
            "displayName: Upper\ndomains:\n  production: Shop.Example.com\n  dev: shop.example.com.\n  aliases: [bücher.example.com]\n" +
            "admin: { username: a, email: not-an-email }\nonline: \"yes\"\n",
        "first.yaml": "displayName: First\ndomains: { production: shared.example.net }\nadmin: { username: first, email: first@example.net }\n",
        "second.yaml": "displayName: Second\ndomains: { production: second.example.net, aliases: [shared.example.net] }\nadmin: { username: second, email: second@example.net }\n",
        "admin.yaml": "displayName: Admin\ndomains: { production: admin.example.net }\nadmin: { username: ad, email: a@example.net }\n",
        "broken.yaml": "displayName: [unclosed\n",
        "Caps.yaml": "displayName: Caps\ndomains: { production: caps.example.net }\nadmin: { username: caps, email: c@example.net }\n",
        "renamed.yaml": "name: original\ndisplayName: R\ndomains: { production: r.example.net }\nadmin: { username: rr, email: r@example.net }\n",
    });
    writeTenants("empty", {
        "nodomains.yaml": "displayName: No Domains\ndomains:\nadmin: { username: nd-admin, email: nd@example.com }\n",
        "noadmin.yaml": "displayName: No Admin\ndomains: { production: noadmin.example.com }\nadmin:\n",
        "bare.yaml": "displayName: Bare\ndomains: {}\nadmin: { username: bare-admin, email: bare@example.com }\n",
    });
    writeTenants("good", {
        "acme.yaml": fs.readFileSync(path.join(PROJECT_DIR, "tenants", "acme.yaml"), "utf8"),
        "beta.yaml": fs.readFileSync(path.join(PROJECT_DIR, "tenants", "beta.yaml"), "utf8"),
    });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("npm run --silent validate", () => {
    it("prints every problem of every file, one exact line each, and exits 1", async () => {
        const r = await validate(work, "bad");
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([
            'bad/Caps.yaml: name: file name "Caps" is not a valid tenant name: use 2 to 31 characters a-z, 0-9 and -, starting with a letter',
            'bad/admin.yaml: name: "admin" is a reserved name: choose another file name',
            "bad/broken.yaml: (file): YAML syntax error at line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]",
            'bad/renamed.yaml: name: "original" does not match the file name "renamed": tenant name is the file name',
            "bad/typo.yaml: displayName: is required (string)",
            "bad/typo.yaml: domains.production: is required (string)",
            "bad/typo.yaml: domains.prodution: unknown key (check its spelling against tenants/schema.json)",
            "bad/typo.yaml: dispalyName: unknown key (check its spelling against tenants/schema.json)",
            'bad/upper.yaml: domains.production: "Shop.Example.com" must be lowercase: write "shop.example.com"',
            'bad/upper.yaml: domains.dev: "shop.example.com." must not end with a dot: write "shop.example.com"',
            'bad/upper.yaml: domains.aliases.0: "bücher.example.com" is an internationalized name: write it as punycode, "xn--bcher-kva.example.com"',
            "bad/upper.yaml: online: must be true or false, not a string",
            "bad/upper.yaml: admin.username: must be 2 to 100 letters, digits, dots, hyphens or underscores",
            "bad/upper.yaml: admin.email: must be an e-mail address",
            'bad/second.yaml: domains: host "shared.example.net" already belongs to tenant "first" (bad/first.yaml): a host may belong to one tenant only',
        ]);
        expect(r.stderr.trim()).toBe("15 problem(s) in 7 of 8 tenant file(s)");
    });

    it("names the fields missing from an object left without a value (domains:, admin:) or empty ({})", async () => {
        const r = await validate(work, "empty");
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([
            "empty/bare.yaml: domains.production: is required (string)",
            "empty/noadmin.yaml: admin.username: is required (string)",
            "empty/noadmin.yaml: admin.email: is required (string)",
            "empty/nodomains.yaml: domains.production: is required (string)",
        ]);
        expect(r.stderr.trim()).toBe("4 problem(s) in 3 of 3 tenant file(s)");
    });

    it("prints one summary line and exits 0 for valid files", async () => {
        const r = await validate(work, "good");
        expect(r).toEqual({ lines: ["2 tenant file(s) valid in good"], stderr: "", code: 0 });
    });

    it("checks tenants/ by default, and the repository's tenants are valid", async () => {
        const r = await validate(PROJECT_DIR);
        expect(r).toEqual({ lines: ["2 tenant file(s) valid in tenants"], stderr: "", code: 0 });
    });

    it("exits 2 when DIR is not a folder", async () => {
        const r = await validate(work, "nowhere");
        expect(r.code).toBe(2);
        expect(r.stderr.trim()).toBe("nowhere: not a folder: pass the folder that holds the tenant YAML files");
        expect(r.lines).toEqual([]);
    });
});

describe("tenant spec rules", () => {
    const tenant = (production: string, extra = "") =>
        `displayName: T\ndomains:\n  production: ${production}\n${extra}admin: { username: tt, email: t@example.com }\n`;

    it("gives a tenant dev.<production> by default and refuses a host another tenant's default dev host holds", () => {
        const a = parseTenant("t/aa.yaml", tenant("shop.example.com")).spec!;
        const b = parseTenant("t/bb.yaml", tenant("dev.shop.example.com")).spec!;
        expect(a.domains.dev).toBe("dev.shop.example.com");
        expect(crossFileProblems([b, a]).map(formatProblem)).toEqual([
            't/bb.yaml: domains: host "dev.shop.example.com" already belongs to tenant "aa" (t/aa.yaml): a host may belong to one tenant only',
        ]);
    });

    it("lists the platform extensions a tenant uses (none by default), each named once", () => {
        expect(parseTenant("t/aa.yaml", tenant("shop.example.com")).spec!.extensions).toEqual([]);
        expect(parseTenant("t/aa.yaml", tenant("shop.example.com") + "extensions: [probe, forms-2]\n").spec!.extensions).toEqual(["probe", "forms-2"]);
        const problems = (list: string) => parseTenant("t/aa.yaml", tenant("shop.example.com") + `extensions: ${list}\n`).problems.map(formatProblem);
        expect(problems("[Probe]")).toEqual(["t/aa.yaml: extensions.0: must be an extension name the platform offers (a lowercase letter, then a-z, 0-9, _ and -)"]);
        expect(problems("[probe, probe]")).toEqual(["t/aa.yaml: extensions: names an extension more than once"]);
    });

    it("holds a tenant on a Joomla release (joomlaRelease -> the entry's holdRelease) and names a malformed one", () => {
        const held = parseTenant("t/aa.yaml", `joomlaRelease: "6.0.4"\n${tenant("shop.example.com")}`).spec!;
        expect(registryEntry(held, { mysqlHost: "127.0.0.1", mysqlPort: 3306 }, { dbPassword: "p", joomlaSecret: "s" }).holdRelease).toBe("joomla-6.0.4");
        const follows = parseTenant("t/aa.yaml", tenant("shop.example.com")).spec!;
        expect("holdRelease" in registryEntry(follows, { mysqlHost: "127.0.0.1", mysqlPort: 3306 }, { dbPassword: "p", joomlaSecret: "s" })).toBe(false);
        expect(parseTenant("t/aa.yaml", `joomlaRelease: "6.x"\n${tenant("shop.example.com")}`).problems.map(formatProblem))
            .toEqual(["t/aa.yaml: joomlaRelease: must be a Joomla version such as 6.0.4"]);
    });

    it("refuses the same host twice in one file", () => {
        const r = parseTenant("t/aa.yaml", tenant("shop.example.com", "  aliases: [www.shop.example.com, www.shop.example.com]\n"));
        expect(r.problems.map(formatProblem)).toEqual(['t/aa.yaml: domains.aliases.1: "www.shop.example.com" is already used by domains.aliases.0 in this file']);
    });

    it("says what to write for a value of the wrong kind or no value, with the right article", () => {
        const messages = (yaml: string) => parseTenant("t/aa.yaml", yaml).problems.map((p) => `${p.path}: ${p.message}`);
        expect(messages("displayName:\nonline:\ndomains: [shop.example.com]\nadmin: tt\ncomingSoon:\n")).toEqual([
            "displayName: has no value: write a string",
            "domains: must be an object, not an array",
            "online: has no value: write true or false",
            "admin: must be an object, not a string",
            "comingSoon: has no value: give its fields, or remove the key to use the defaults",
        ]);
        expect(messages(tenant("shop.example.com", "  aliases: www.shop.example.com\n"))).toEqual(["domains.aliases: must be an array, not a string"]);
        expect(messages("displayName: T\nadmin: { username: tt, email: t@example.com }\n"), "domains left out").toEqual(["domains.production: is required (string)"]);
    });

    it("refuses hosts that are not names under a public suffix", () => {
        const problems = (h: string) => parseTenant("t/aa.yaml", tenant(h)).problems.map((p) => p.message);
        expect(problems("localhost")).toEqual(['"localhost" must be a fully qualified name such as example.com']);
        expect(problems("shop.example.com:8080")).toEqual(['"shop.example.com:8080" must be a host name without a port or scheme']);
        expect(problems("203.0.113.7")).toEqual(['"203.0.113.7" looks like an IP address: use a host name']);
        expect(problems("shop_1.example.com")).toEqual(['"shop_1.example.com" has an invalid label "shop_1": use a-z, 0-9 and inner hyphens, 1 to 63 characters']);
        expect(problems("shop.local")).toEqual([
            '"shop.local" is not under a public suffix on ICANN\'s list (".local" is not a top-level domain in public DNS): use a registered domain such as example.com',
        ]);
        expect(problems("xn--bcher-kva.example.com")).toEqual([]);
    });

    it("validates 2,000 files with no false cross-file conflict (timing: bench/validator)", () => {
        const dir = path.join(work, "many");
        fs.mkdirSync(dir);
        for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(dir, `t${i}.yaml`), tenant(`shop${i}.example.com`, `  aliases: [www.shop${i}.example.com]\n`));
        const r = loadTenants(dir);
        expect(r.problems).toEqual([]);
        expect(r.specs.length).toBe(2000);
    });
});
