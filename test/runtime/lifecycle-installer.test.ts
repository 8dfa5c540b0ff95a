/**
 * The blueprint's installer path. This machine has no Joomla PHP code (only its SQL), so a stand-in
 * `installation/joomla.php` with the real CLI installer's options plays the installer: it refuses
 * to run beside a configuration.php, loads the install SQL with the credentials it was given,
 * creates a super user, writes configuration.php and deletes its installation folder, as Joomla's
 * does. What is tested is our side: the throwaway copy, the temporary database account whose
 * password is the only one in argv (dropped afterwards), and the blueprint that results.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminConnection } from "../../devenv/mysql";
import { layOutRelease } from "../../devenv/joomla-release";
import { TestPlatform } from "./lifecycle-harness";

const STAND_IN = String.raw`<?php
$o = [];
foreach (array_slice($argv, 2) as $a) {
    if (preg_match('/^--([a-z-]+)=(.*)$/s', $a, $m)) { $o[$m[1]] = $m[2]; }
}
file_put_contents(getenv('STAND_IN_LOG'), json_encode(['argv' => $argv, 'cwd' => getcwd(), 'root' => dirname(__DIR__)]));
if (is_file(dirname(__DIR__) . '/configuration.php')) { fwrite(STDERR, "configuration.php exists\n"); exit(1); }
[$host, $port] = explode(':', $o['db-host']);
$db = new mysqli($host, $o['db-user'], $o['db-pass'], $o['db-name'], (int) $port);
foreach (['base', 'supports', 'extensions'] as $f) {
    $db->multi_query(str_replace('#__', $o['db-prefix'], file_get_contents(__DIR__ . "/sql/mysql/$f.sql")));
    while ($db->more_results()) { $db->next_result(); }
}
$p = $o['db-prefix'];
$hash = password_hash($o['admin-password'], PASSWORD_BCRYPT);
$db->query("INSERT INTO {$p}users (id, name, username, email, password, registerDate, params) VALUES (777, 'Super User', '{$o['admin-username']}', '{$o['admin-email']}', '$hash', NOW(), '')");
$db->query("INSERT INTO {$p}user_usergroup_map (user_id, group_id) VALUES (777, 8)");
file_put_contents(dirname(__DIR__) . '/configuration.php', "<?php class JConfig { public \$password = '{$o['db-pass']}'; }");
exec('rm -rf ' . escapeshellarg(__DIR__));
`;

describe("blueprint create with the installer", () => {
    let p: TestPlatform;
    let release: string;
    const log = path.join(os.tmpdir(), `stand-in-${process.pid}.json`);

    beforeAll(() => {
        p = new TestPlatform(inject("mysql"));
        release = layOutRelease("6.0.4", path.join(p.root, "release"));
        fs.writeFileSync(path.join(release, "installation/joomla.php"), STAND_IN);
        // The stand-in declares a minimum this PHP meets (Joomla 6 itself needs 8.3).
        fs.writeFileSync(path.join(release, "installation/index.php"), "<?php define('JOOMLA_MINIMUM_PHP', '8.1.0');\n");
        fs.writeFileSync(path.join(release, "configuration.php"), "<?php // the platform's bootstrap config\n");
    });
    afterAll(async () => {
        fs.rmSync(log, { force: true });
        await p?.cleanup();
    });

    it("runs the installer in a throwaway copy with a temporary account that no longer exists afterwards", async () => {
        const r = p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb], "", { STAND_IN_LOG: log });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("(installer)");
        const seen = JSON.parse(fs.readFileSync(log, "utf8"));
        expect(seen.root).not.toBe(release);
        expect(fs.existsSync(seen.root)).toBe(false); // the copy is gone
        expect(fs.existsSync(path.join(release, "installation/joomla.php"))).toBe(true); // the release is untouched
        const arg = (name: string) => (seen.argv as string[]).find((a) => a.startsWith(`--${name}=`))!.split("=").slice(1).join("=");
        expect(arg("db-user")).toMatch(/^mkbp_/);
        expect(arg("db-user")).not.toBe(p.db.adminUser);
        expect((seen.argv as string[]).join(" ")).not.toContain(p.db.adminPassword);
        // The password the installer saw in argv is useless now: its account was dropped.
        await expect(mysql.createConnection({ host: p.db.host, port: p.db.port, user: arg("db-user"), password: arg("db-pass") })).rejects.toThrow(/Access denied/);
        const c = await adminConnection(p.db);
        const [users] = await c.query<any[]>("SELECT User FROM mysql.user WHERE User LIKE 'mkbp\\_%'");
        expect(users).toEqual([]);
        const [rows] = await c.query<any[]>(`SELECT id, block, password FROM \`${p.blueprintDb}\`.bp_users`);
        expect(rows).toEqual([{ id: 777, block: 1, password: "" }]);
        await c.end();
        expect(JSON.parse(p.cli(["blueprint", "show"]).stdout)).toMatchObject({ method: "installer", superUserId: 777, schemaVersion: "6.0.1-2025-10-29" });

        const t = await p.addTenant("viaInstaller".toLowerCase());
        expect(p.seed(t).status).toBe(0);
    });
});
