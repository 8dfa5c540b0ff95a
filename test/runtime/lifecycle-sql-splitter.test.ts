/**
 * The SQL splitter that seeding and migrations run Joomla's files through (PHP, called as the
 * CLI does): quoted text, comments, CAN FAIL markers, DELIMITER, and the `#__` prefix rule.
 */
import { phpBin } from "../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const autoload = path.resolve(__dirname, "../../runtime/src/autoload.php");

function php(fn: "split" | "replacePrefix", ...args: string[]): any {
    const r = spawnSync(phpBin(), ["-r", `require ${JSON.stringify(autoload)}; $a = json_decode(stream_get_contents(STDIN), true);
        echo json_encode(MokoWaaS\\SqlSplitter::${fn}(...$a));`], { input: JSON.stringify(args), encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
}

describe("SqlSplitter", () => {
    it("never splits inside quoted text and keeps escaped quotes", () => {
        const s = php("split", "INSERT INTO `#__a` VALUES ('a;b', 'it''s', 'x\\';y', \"q;\\\"r\");\nSELECT `odd;name` FROM t;");
        expect(s.map((x: any) => x.sql)).toEqual([
            "INSERT INTO `#__a` VALUES ('a;b', 'it''s', 'x\\';y', \"q;\\\"r\")",
            "SELECT `odd;name` FROM t",
        ]);
    });

    it("drops comments, keeps MySQL executable comments and the #__ placeholder, and reports start lines", () => {
        const s = php("split", "-- header\n# hash comment\n/* block; */ SELECT 1;\n\nINSERT INTO #__x VALUES (1); -- trailing\n/*!40101 SET NAMES utf8 */;\nSELECT '-- not a comment';");
        expect(s).toEqual([
            { sql: "SELECT 1", canFail: false, line: 3 },
            { sql: "INSERT INTO #__x VALUES (1)", canFail: false, line: 5 },
            { sql: "/*!40101 SET NAMES utf8 */", canFail: false, line: 6 },
            { sql: "SELECT '-- not a comment'", canFail: false, line: 7 },
        ]);
    });

    it("marks a statement CAN FAIL only when the marker ends it, as Joomla does", () => {
        const s = php("split", "ALTER TABLE t ADD c int /** CAN FAIL **/;\n/** CAN FAIL **/ ALTER TABLE t ADD d int;\nALTER TABLE t ADD e int /** can fail **/ ;");
        expect(s.map((x: any) => x.canFail)).toEqual([true, false, true]);
    });

    it("follows DELIMITER lines like the mysql client", () => {
        const s = php("split", "DELIMITER //\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END//\nDELIMITER ;\nSELECT 2;");
        expect(s.map((x: any) => x.sql)).toEqual(["CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END", "SELECT 2"]);
    });

    it("replaces #__ outside quoted strings only (JSON naming a table stays data)", () => {
        expect(php("replacePrefix", "UPDATE `#__t` SET v = '{\"table\":\"#__content\"}', w = \"#__x\" WHERE #__t.id = 1", "jos_"))
            .toBe("UPDATE `jos_t` SET v = '{\"table\":\"#__content\"}', w = \"#__x\" WHERE jos_t.id = 1");
    });
});
