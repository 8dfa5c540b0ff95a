/**
 * Step 7: the PHP-FPM master's platform pool (runtime/php-fpm/mokowaas.conf, which includes the
 * tenants' pools the server CLI writes) and the opcache sizing, checked with `php-fpm -t` before
 * PHP-FPM reloads (infra/install-files.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { installFilesScript } from "../install-files";
import { shellQuote } from "../../components/server-command";
import { platformPoolOpenBasedir } from "../../components/rules";
import { phpFpmPaths, serverPaths, sudoPrefix } from "../server-paths";
import { RUNTIME_DIR } from "./runtime";
import type { PlatformServer } from "./server";

const read = (rel: string) => fs.readFileSync(path.join(RUNTIME_DIR, rel), "utf8");

/**
 * The template with `key = value` lines replaced by key. A key the template lacks is an error:
 * a setting must never silently stop applying because the shipped file changed.
 */
export function renderSettings(template: string, settings: Record<string, string>, file: string): string {
    let out = template;
    for (const [key, value] of Object.entries(settings)) {
        const line = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*=.*$`, "m");
        if (!line.test(out)) throw new Error(`${file}: no "${key} = ..." line to set`);
        out = out.replace(line, () => `${key} = ${value}`); // a function: "$&" in a value stays literal
    }
    return out;
}

/** The shipped platform pool for this platform: its user, socket, server root and the tenant pools it includes. */
export function phpFpmPool(c: PlatformConfig): string {
    const paths = serverPaths(c);
    return renderSettings(
        read("php-fpm/mokowaas.conf"),
        {
            user: c.phpUser,
            group: c.phpUser,
            listen: c.phpFpm.listen,
            "listen.owner": c.caddy.group,
            "listen.group": c.caddy.group,
            "env[MOKOWAAS_ROOT]": c.paths.root,
            "php_admin_value[open_basedir]": platformPoolOpenBasedir(paths),
            include: `${paths.tenantPools}/*.conf`,
        },
        "runtime/php-fpm/mokowaas.conf",
    );
}

/** Installs the pool and the opcache sizing, checks them with `php-fpm -t`, reloads PHP-FPM. */
export function phpFpmInstallScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const p = phpFpmPaths(c);
    const q = shellQuote;
    const pools = q(serverPaths(c).tenantPools);
    const service = q(p.service);
    // FPM refuses an include whose folder is missing (an empty one is fine): create it first.
    return `${s}mkdir -p ${pools}\n${s}chmod 700 ${pools}\n` + installFilesScript(
        [
            { path: p.pool, content: phpFpmPool(c) },
            { path: p.opcache, content: read("php-fpm/mokowaas-opcache.ini") },
        ],
        {
            sudo: s,
            what: "PHP-FPM",
            validate: [`${s}${q(p.binary)} -t -y ${q(p.config)} >&2`],
            // A reload (SIGUSR2) re-executes the master: new pools, php.ini and opcache sizes apply.
            apply: [`if ${s}systemctl is-active --quiet ${service}; then ${s}systemctl reload ${service}; fi`],
            always: [`${s}systemctl enable --quiet ${service}`, `${s}systemctl is-active --quiet ${service} || ${s}systemctl start ${service}`],
        },
    );
}

export function phpFpmStep(server: PlatformServer, dependsOn: pulumi.Resource[]): command.remote.Command {
    return server.run("php-fpm", { create: phpFpmInstallScript(server.config) }, dependsOn);
}
