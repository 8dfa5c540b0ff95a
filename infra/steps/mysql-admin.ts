/**
 * Step 2: the MySQL admin account tenant stacks and the server CLI use. Its password is the
 * platform's RandomPassword, on stdin; deleting the platform drops the account.
 */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import { sudoPrefix } from "../server-paths";
import type { PlatformServer } from "./server";

function adminHosts(c: PlatformConfig): string[] {
    return [...new Set([c.mysql.tenantUserHost, "127.0.0.1", "localhost"])];
}

/** The configured root client, each of its words quoted (config allows plain words only). */
function rootClient(c: PlatformConfig): string {
    return `${sudoPrefix(c)}${c.mysql.rootClient.split(" ").map(shellQuote).join(" ")}`;
}

/**
 * SQL statements as one `printf` that feeds the root client: each statement one quoted word,
 * `$pw` spliced in as "$pw" (printf is a shell builtin: the password reaches no argv). No
 * here-document: config values can neither expand in one nor end it early.
 */
function sqlToClient(c: PlatformConfig, statements: string[]): string {
    const word = (sql: string) => sql.split("$pw").map(shellQuote).join('"$pw"');
    return [`printf '%s\\n' \\`, ...statements.map((sql) => `  ${word(sql)} \\`), `  | ${rootClient(c)}`].join("\n");
}

/**
 * Creates (or re-keys) the MySQL admin account that tenant stacks and the server CLI use. The
 * password comes on stdin and is checked to be letters and digits, so it is safe inside SQL;
 * the account's name and hosts are validated config (infra/config.ts), safe there too.
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
        sqlToClient(c, sql),
    ].join("\n");
}

export function mysqlAdminDeleteScript(c: PlatformConfig): string {
    const sql = adminHosts(c).map((h) => `DROP USER IF EXISTS '${c.mysql.adminUser}'@'${h}';`);
    return ["set -eu", sqlToClient(c, sql)].join("\n");
}

export function mysqlAdminStep(server: PlatformServer, password: pulumi.Input<string>, dependsOn: pulumi.Resource[]): command.remote.Command {
    const c = server.config;
    return server.run(
        "mysql-admin",
        { create: mysqlAdminCreateScript(c), delete: mysqlAdminDeleteScript(c), stdin: password, triggers: [c.mysql.adminUser] },
        dependsOn,
    );
}
