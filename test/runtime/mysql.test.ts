import { inject, test, expect } from "vitest";
import { adminConnection } from "../../devenv/mysql";

test("the runtime tier's database is Oracle MySQL (what @pulumi/mysql can drive), reached as the admin account on a private port", async () => {
    const db = inject("mysql");
    expect(db.port).not.toBe(3306);
    const c = await adminConnection(db);
    const [rows] = await c.query("SELECT CURRENT_USER() AS u, @@port AS p, @@version_comment AS comment, @@GLOBAL.innodb_version AS innodb");
    await c.end();
    const [row] = rows as { u: string; p: number; comment: string; innodb: string }[];
    expect(row.u).toBe(`${db.adminUser}@127.0.0.1`);
    expect(row.p).toBe(db.port);
    // The variable MariaDB >= 10.10 removed and the mysql provider reads on connect.
    expect(row.innodb).toMatch(/^[89]\.\d+\.\d+/);
    expect(row.comment).not.toMatch(/mariadb/i);
});
