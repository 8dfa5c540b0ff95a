/**
 * Caddy and PHP-FPM on the server: the shipped runtime/caddy/Caddyfile with its parameters in a
 * systemd drop-in (the Caddyfile reads them as {$MOKOWAAS_...} when it is adapted, by `caddy run`
 * and `caddy reload` alike), and the shipped PHP-FPM pool and opcache settings rendered for this
 * platform. Both are validated before Caddy or PHP-FPM reloads (infra/install-files.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { shellQuote } from "../components/server-command";
import type { PlatformConfig } from "./config";
import { installFilesScript } from "./install-files";
import { sudoPrefix, systemdEscape } from "./server-scripts";

const RUNTIME = path.join(__dirname, "..", "runtime");
const read = (rel: string) => fs.readFileSync(path.join(RUNTIME, rel), "utf8");

/** MOKOWAAS_ROOT as the Caddyfile and the pool want it: "" for /, no trailing slash. */
function rootValue(c: PlatformConfig): string {
    return c.paths.root.replace(/\/+$/, "");
}

/** The Caddyfile's parameters (see its header), one place for every value. */
export function caddyEnvironment(c: PlatformConfig): Record<string, string> {
    return {
        MOKOWAAS_ROOT: rootValue(c),
        MOKOWAAS_HTTP_PORT: String(c.caddy.httpPort),
        MOKOWAAS_HTTPS_PORT: String(c.caddy.httpsPort),
        MOKOWAAS_ASK_PORT: String(c.caddy.askPort),
        MOKOWAAS_PHP_FPM: `unix/${c.phpFpm.listen}`,
        MOKOWAAS_CERT_ISSUER: c.caddy.certIssuer,
        MOKOWAAS_CADDY_GLOBALS: `${c.caddy.configDir}/mokowaas-globals.d/*`,
        MOKOWAAS_HTTPS_SUFFIX: c.caddy.httpsSuffix,
        MOKOWAAS_ADMIN: c.caddy.admin,
    };
}

export function caddyPaths(c: PlatformConfig) {
    return {
        caddyfile: `${c.caddy.configDir}/Caddyfile`,
        acmeEmail: `${c.caddy.configDir}/mokowaas-globals.d/acme-email`,
        dropIn: `${c.paths.systemdDir}/${c.caddy.service}.service.d/mokowaas.conf`,
    };
}

/** systemd drop-in that hands the Caddyfile its parameters. */
export function caddyDropIn(c: PlatformConfig): string {
    const env = Object.entries(caddyEnvironment(c)).map(([k, v]) => `Environment="${k}=${systemdEscape(v)}"`);
    return ["# Written by the MokoWaaS platform stack (infra/web-server.ts): the Caddyfile's parameters.", "[Service]", ...env, ""].join("\n");
}

/**
 * Installs the Caddyfile, its drop-in and the ACME email, validates them with Caddy itself (in a
 * scratch HOME: no storage touched), then reloads Caddy, or restarts it when its environment
 * changed (a reload would adapt with the new values but talk to the old admin endpoint) or
 * when the admin endpoint is off (reload needs it).
 */
export function caddyInstallScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const p = caddyPaths(c);
    const env = Object.entries(caddyEnvironment(c)).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
    const unit = `${c.caddy.service}.service`;
    const restart = c.caddy.admin === "off";
    return installFilesScript(
        [
            { path: p.caddyfile, content: read("caddy/Caddyfile"), flag: "caddyfile" },
            { path: p.acmeEmail, content: c.caddy.acmeEmail ? `email ${c.caddy.acmeEmail}\n` : null, flag: "email" },
            { path: p.dropIn, content: caddyDropIn(c), flag: "env" },
        ],
        {
            sudo: s,
            what: "Caddy",
            validate: [`${s}env HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" ${env} caddy validate --config ${p.caddyfile} --adapter caddyfile >&2`],
            apply: [
                `if [ -n "$changed_env" ]; then ${s}systemctl daemon-reload; fi`,
                restart
                    ? `${s}systemctl restart ${unit}`
                    : `if [ -n "$changed_env" ] || ! ${s}systemctl is-active --quiet ${unit}; then ${s}systemctl restart ${unit}; else ${s}systemctl reload ${unit}; fi`,
            ],
            always: [`${s}systemctl enable --quiet ${unit}`, `${s}systemctl is-active --quiet ${unit} || ${s}systemctl start ${unit}`],
        },
    );
}

export function phpFpmPaths(c: PlatformConfig) {
    const confDir = c.phpFpm.confDir ?? `/etc/php/${c.phpFpm.version}/fpm`;
    return {
        confDir,
        pool: `${confDir}/pool.d/mokowaas.conf`,
        opcache: `${confDir}/conf.d/90-mokowaas.ini`,
        service: `php${c.phpFpm.version}-fpm`,
        binary: `php-fpm${c.phpFpm.version}`,
    };
}

/**
 * The template with `key = value` lines replaced by key. A key the template lacks is an error:
 * a setting must never silently stop applying because the shipped file changed.
 */
export function renderSettings(template: string, settings: Record<string, string>, file: string): string {
    let out = template;
    for (const [key, value] of Object.entries(settings)) {
        const line = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*=.*$`, "m");
        if (!line.test(out)) throw new Error(`${file}: no "${key} = ..." line to set`);
        out = out.replace(line, `${key} = ${value}`);
    }
    return out;
}

/** The shipped pool for this platform: its user, socket and server root. */
export function phpFpmPool(c: PlatformConfig): string {
    return renderSettings(
        read("php-fpm/mokowaas.conf"),
        {
            user: c.phpUser,
            group: c.phpUser,
            listen: c.phpFpm.listen,
            "env[MOKOWAAS_ROOT]": c.paths.root,
        },
        "runtime/php-fpm/mokowaas.conf",
    );
}

/** Installs the pool and the opcache sizing, checks them with `php-fpm -t`, reloads PHP-FPM. */
export function phpFpmInstallScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const p = phpFpmPaths(c);
    return installFilesScript(
        [
            { path: p.pool, content: phpFpmPool(c) },
            { path: p.opcache, content: read("php-fpm/mokowaas-opcache.ini") },
        ],
        {
            sudo: s,
            what: "PHP-FPM",
            validate: [`${s}${p.binary} -t -y ${p.confDir}/php-fpm.conf >&2`],
            // A reload (SIGUSR2) re-executes the master: new pools, php.ini and opcache sizes apply.
            apply: [`if ${s}systemctl is-active --quiet ${p.service}; then ${s}systemctl reload ${p.service}; fi`],
            always: [`${s}systemctl enable --quiet ${p.service}`, `${s}systemctl is-active --quiet ${p.service} || ${s}systemctl start ${p.service}`],
        },
    );
}
