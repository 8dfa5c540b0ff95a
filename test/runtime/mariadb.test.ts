import { inject, test, expect } from "vitest";
import { adminConnection } from "../../devenv/mariadb";

test("the runtime tier's MariaDB answers as the admin account on a private port", async () => {
    const db = inject("mariadb");
    expect(db.port).not.toBe(3306);
    const c = await adminConnection(db);
    const [rows] = await c.query("SELECT CURRENT_USER() AS u, @@port AS p");
    await c.end();
    expect(rows).toEqual([{ u: `${db.adminUser}@127.0.0.1`, p: db.port }]);
});
