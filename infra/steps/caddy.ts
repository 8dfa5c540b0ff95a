/**
 * Step 8: Caddy in front of the pools: the shipped runtime/caddy/Caddyfile with its parameters in
 * a systemd drop-in (the Caddyfile reads them as {$MOKOWAAS_...} when it is adapted, by `caddy
 * run` and `caddy reload` alike), validated by Caddy before it reloads (infra/install-files.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import { installFilesScript } from "../install-files";
import { caddyPaths, rootValue, sudoPrefix, systemdEscape } from "../server-paths";
import { RUNTIME_DIR } from "./runtime";
import type { PlatformServer } from "./server";

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

/** systemd drop-in that hands the Caddyfile its parameters. */
export function caddyDropIn(c: PlatformConfig): string {
    const env = Object.entries(caddyEnvironment(c)).map(([k, v]) => `Environment="${k}=${systemdEscape(v)}"`);
    return ["# Written by the MokoWaaS platform stack (infra/web-server.ts): the Caddyfile's parameters.", "[Service]", ...env, ""].join("\n");
}

/**
 * Caddy opens a new SO_REUSEPORT listener on each reload and closes the old one; without this the
 * kernel resets the connections still queued on the closed one instead of handing them to the new
 * listener (Linux >= 5.14; measured by the load drill, docs/reliability.md).
 */
export const CADDY_SYSCTL = "# Written by the MokoWaaS platform stack (infra/steps/caddy.ts): Caddy reloads lose no queued connection.\nnet.ipv4.tcp_migrate_req = 1\n";

/**
 * Installs the Caddyfile, its drop-in and the ACME email, validates them with Caddy itself (in a
 * scratch HOME: no storage touched), then reloads Caddy, or restarts it when its environment
 * changed (a reload would adapt with the new values but talk to the old admin endpoint) or
 * when the admin endpoint is off (reload needs it).
 */
export function caddyInstallScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const p = caddyPaths(c);
    const q = shellQuote;
    const env = Object.entries(caddyEnvironment(c)).map(([k, v]) => q(`${k}=${v}`)).join(" ");
    const unit = q(`${c.caddy.service}.service`);
    const restart = c.caddy.admin === "off";
    return installFilesScript(
        [
            { path: p.caddyfile, content: fs.readFileSync(path.join(RUNTIME_DIR, "caddy/Caddyfile"), "utf8"), flag: "caddyfile" },
            { path: p.acmeEmail, content: c.caddy.acmeEmail ? `email ${c.caddy.acmeEmail}\n` : null, flag: "email" },
            { path: p.dropIn, content: caddyDropIn(c), flag: "env" },
            { path: p.sysctl, content: CADDY_SYSCTL, flag: "sysctl" },
        ],
        {
            sudo: s,
            what: "Caddy",
            validate: [`${s}env HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" ${env} caddy validate --config ${q(p.caddyfile)} --adapter caddyfile >&2`],
            apply: [
                `if [ -n "$changed_env" ]; then ${s}systemctl daemon-reload; fi`,
                // An older kernel lacks the setting: Caddy still works, reloads may reset a few connections.
                `if [ -n "$changed_sysctl" ]; then ${s}sysctl -q -p ${q(p.sysctl)} >&2 || echo ${q(`Caddy: could not apply ${p.sysctl} (kernel older than 5.14?); reloads may reset queued connections`)} >&2; fi`,
                restart
                    ? `${s}systemctl restart ${unit}`
                    : `if [ -n "$changed_env" ] || ! ${s}systemctl is-active --quiet ${unit}; then ${s}systemctl restart ${unit}; else ${s}systemctl reload ${unit}; fi`,
            ],
            always: [`${s}systemctl enable --quiet ${unit}`, `${s}systemctl is-active --quiet ${unit} || ${s}systemctl start ${unit}`],
        },
    );
}

export function caddyStep(server: PlatformServer, dependsOn: pulumi.Resource[]): command.remote.Command {
    return server.run("caddy", { create: caddyInstallScript(server.config) }, dependsOn);
}
