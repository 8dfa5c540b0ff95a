/**
 * Step 2: the MySQL admin account tenant stacks and the server CLI use. Its password is the
 * platform's RandomPassword, on stdin; deleting the platform drops the account.
 */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { sudoPrefix } from "../server-paths";
import type { PlatformServer } from "./server";

function adminHosts(c: PlatformConfig): string[] {
    return [...new Set([c.mysql.tenantUserHost, "127.0.0.1", "localhost"])];
}

/**
 * Creates (or re-keys) the MySQL admin account that tenant stacks and the server CLI use. The
 * password comes on stdin and is checked to be letters and digits, so it is safe inside SQL.
 */
export function mysqlAdminCreateScript(c: PlatformConfig): string {
    const sql = adminHosts(c).flatMap((h) => {
        const account = `'${c.mysql.adminUser}'@'${h}'`;
        return [
            `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY '$pw';`,
            `ALTER USER ${account} IDENTIFIED BY '$pw';`,
            `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`,
        ];
    });
    return [
        "set -eu",
        "pw=$(cat)",
        `case "$pw" in ''|*[!A-Za-z0-9]*) echo "mysql admin: the password on stdin must be letters and digits" >&2; exit 3;; esac`,
        `${sudoPrefix(c)}${c.mysql.rootClient} <<SQL`,
        ...sql,
        "SQL",
    ].join("\n");
}

export function mysqlAdminDeleteScript(c: PlatformConfig): string {
    const sql = adminHosts(c).map((h) => `DROP USER IF EXISTS '${c.mysql.adminUser}'@'${h}';`);
    return ["set -eu", `${sudoPrefix(c)}${c.mysql.rootClient} <<'SQL'`, ...sql, "SQL"].join("\n");
}

export function mysqlAdminStep(server: PlatformServer, password: pulumi.Input<string>, dependsOn: pulumi.Resource[]): command.remote.Command {
    const c = server.config;
    return server.run(
        "mysql-admin",
        { create: mysqlAdminCreateScript(c), delete: mysqlAdminDeleteScript(c), stdin: password, triggers: [c.mysql.adminUser] },
        dependsOn,
    );
}
