/**
 * runtime/src/JoomlaConfigFile.php (reads a configuration.php Joomla wrote without running it) and
 * JoomlaConfig's rules for a tenant's own settings, through the real PHP: what Joomla's Registry
 * writes comes back value for value; anything that is not a plain JConfig is refused, never run.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { phpBin } from "../../devenv/toolchain";
import { pristineJoomla } from "../harness/joomla-package";

const SRC = path.resolve(__dirname, "../../runtime/src");

/** Runs `code` with the two classes loaded; stdin is JSON input; returns the JSON it echoes. */
function php(code: string, input: unknown): any {
    const r = spawnSync(phpBin(), ["-r", `require ${JSON.stringify(`${SRC}/JoomlaConfig.php`)}; require ${JSON.stringify(`${SRC}/JoomlaConfigFile.php`)};
        $in = json_decode(stream_get_contents(STDIN), true); ${code}`], { input: JSON.stringify(input), encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr + r.stdout);
    return JSON.parse(r.stdout);
}

const parse = (sources: string[]) => php(`echo json_encode(array_map(function ($src) {
    try { return ['ok' => MokoWaaS\\JoomlaConfigFile::parse($src)]; } catch (UnexpectedValueException $e) { return ['error' => $e->getMessage()]; }
}, $in));`, sources) as ({ ok: Record<string, unknown> } | { error: string })[];

describe("JoomlaConfigFile::parse", () => {
    test("what Joomla's Registry writes (its PHP format) comes back value for value", () => {
        // Written by Joomla's own joomla/registry PHP formatter, the way Global Configuration writes it.
        const values = {
            sitename: "It's \\ a \"site\" <b>&amp;</b>", list_limit: 20, offset: "Europe/Berlin", debug: false, sef: true,
            cachetime: 15.5, negative: -3, nothing: null, log_priorities: { 0: "all" }, nested: { a: [1, "two", true], b: {} }, empty: "",
        };
        const registry = path.join(pristineJoomla("6.0.4"), "libraries/vendor/joomla/registry/src");
        const written = php(`require '${registry}/FormatInterface.php'; require '${registry}/Format/Php.php';
            $r = new stdClass(); foreach ($in as $k => $v) { $r->$k = $v; }
            echo json_encode((new Joomla\\Registry\\Format\\Php())->objectToString($r, ['class' => 'JConfig', 'closingtag' => false]));`, values);
        expect(written).toMatch(/^<\?php\nclass JConfig \{\n\tpublic \$sitename = 'It\\'s \\\\ a "site"/);
        const [r] = parse([written]);
        expect(r).toEqual({ ok: { ...values, log_priorities: ["all"], nested: { a: [1, "two", true], b: [] } } });
    });

    test("hand-written forms: short arrays, double quotes without variables, var, comments, a closing tag", () => {
        const [r] = parse([`<?php\n// edited\nclass JConfig {\n  var $a = [ 'x' => 1, 2, ];\n  public $b = "tab\\there"; /* c */\n  public $c = +4;\n}\n?>\n`]);
        expect(r).toEqual({ ok: { a: { x: 1, 0: 2 }, b: "tab\there", c: 4 } });
    });

    test("anything that is not a plain JConfig is refused with its line, and never runs", () => {
        const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-jcf-")), "ran");
        const hostile = [
            `<?php class JConfig { public $a = touch(${JSON.stringify(marker)}); }`,
            `<?php touch(${JSON.stringify(marker)}); class JConfig { public $a = 1; }`,
            `<?php class JConfig { public $a = 1; } touch(${JSON.stringify(marker)});`,
            `<?php class JConfig { public $a = "$x"; }`,
            `<?php class JConfig { public $a = PHP_VERSION; }`,
            `<?php class JConfig { public $a = 1 + 1; }`,
            `<?php class Other { public $a = 1; }`,
            `<?php class JConfig { public function __construct() {} }`,
            `<?php class JConfig { public $a = 1;`,
            `<?php class JConfig { public $a = ['k' => \`id\`]; }`,
            "",
        ];
        const results = parse(hostile);
        results.forEach((r, i) => expect(r, hostile[i]).toHaveProperty("error"));
        expect((results[0] as { error: string }).error).toMatch(/line 1, found "touch"/);
        expect(fs.existsSync(marker)).toBe(false);
    });
});

describe("a tenant's own settings", () => {
    test("the platform's settings are never the tenant's; dev hosts keep noindex", () => {
        const r = php(`echo json_encode(['dev' => MokoWaaS\\JoomlaConfig::tenantKeys('dev'), 'production' => MokoWaaS\\JoomlaConfig::tenantKeys('production'),
            'owned' => MokoWaaS\\JoomlaConfig::PLATFORM_OWNED]);`, null);
        for (const key of ["password", "db", "host", "user", "secret", "tmp_path", "log_path", "session_handler", "live_site", "offline", "error_reporting"]) {
            expect(r.owned).toContain(key);
            expect(r.production).not.toContain(key);
        }
        expect(r.production).toEqual(expect.arrayContaining(["sitename", "list_limit", "MetaDesc", "mailer", "smtphost", "editor", "captcha", "lifetime", "robots"]));
        expect(r.dev).not.toContain("robots");
    });

    test("after a write: what differs from the platform's value is kept, what equals it is dropped, platform keys are ignored", () => {
        const r = php(`echo json_encode(MokoWaaS\\JoomlaConfig::settingsAfterWrite($in['written'], $in['base'], $in['old'], $in['role']));`, {
            written: { sitename: "Mine", list_limit: "20", password: "stolen", robots: "index, follow", MetaDesc: "d" },
            base: { ...{ sitename: "From YAML", list_limit: 20, password: "real", robots: "noindex, nofollow", MetaDesc: "" } },
            old: { MetaDesc: "old", robots: "index", captcha: "recaptcha" },
            role: "dev",
        });
        // robots is the platform's on dev: the old production choice stays; captcha was not written: stays.
        expect(r).toEqual({ MetaDesc: "d", captcha: "recaptcha", robots: "index", sitename: "Mine" });
    });

    test("read back over the platform's values: only the tenant's keys apply", () => {
        const r = php(`echo json_encode(MokoWaaS\\JoomlaConfig::withSettings(['sitename' => 'YAML', 'password' => 'real', 'robots' => 'noindex'], $in, 'dev'));`,
            { sitename: "Mine", password: "stolen", robots: "index", unknown_key: 1 });
        expect(r).toEqual({ sitename: "Mine", password: "real", robots: "noindex" });
    });
});
