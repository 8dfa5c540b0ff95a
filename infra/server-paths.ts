/**
 * Where things are on a platform server, derived from its config in one place: the runtime and
 * its CLI, the data plane's folders (runtime/rules.json's layout, which runtime/src/Paths.php
 * reads too), the PHP-FPM master's and Caddy's files. Every step (infra/steps/) and the local
 * platform read them here.
 */
import { serverLayout, type LayoutName } from "../components/rules";
import { shellQuote } from "../components/server-command";
import type { PlatformConfig } from "./config";

/** "sudo " when server commands must be elevated, else "". */
export function sudoPrefix(c: PlatformConfig): string {
    return (c.paths.sudo ?? c.ssh.user !== "root") ? "sudo " : "";
}

/** Where the runtime/ folder lands on the server and where its CLI is. */
export function runtimePaths(c: PlatformConfig) {
    const base = c.paths.runtimeDir.replace(/\/+$/, "");
    return { base, dir: `${base}/runtime`, staging: `${base}/staging`, cli: `${base}/runtime/bin/mokowaas` };
}

/** The command prefix that runs the server CLI (exported for tenant stacks). */
export function mokowaasPrefix(c: PlatformConfig): string {
    const env = Object.entries({ MOKOWAAS_ROOT: c.paths.root, ...c.paths.env }).map(([k, v]) => shellQuote(`${k}=${v}`));
    return `${sudoPrefix(c)}env ${env.join(" ")} ${shellQuote(c.paths.php)} ${shellQuote(runtimePaths(c).cli)}`;
}

/**
 * Server-side data-plane paths: runtime/rules.json's layout under the platform's root, as
 * runtime/src/Paths.php derives them (e.g. tenantPools: every tenant's PHP-FPM pool file, which
 * the platform pool includes).
 */
export function serverPaths(c: PlatformConfig): Record<LayoutName, string> {
    return serverLayout(c.paths.root);
}

/** A value inside a systemd unit: `%` starts a specifier there. */
export function systemdEscape(value: string): string {
    return value.replace(/%/g, "%%");
}

/** MOKOWAAS_ROOT as the Caddyfile and the pools want it: "" for /, no trailing slash. */
export function rootValue(c: PlatformConfig): string {
    return c.paths.root.replace(/\/+$/, "");
}

/** The PHP-FPM master's files, the distribution's layout unless configured. */
export function phpFpmPaths(c: PlatformConfig) {
    const v = c.phpFpm.version;
    const confDir = c.phpFpm.confDir ?? `/etc/php/${v}/fpm`;
    return {
        confDir,
        config: c.phpFpm.config ?? `${confDir}/php-fpm.conf`,
        pool: `${confDir}/pool.d/mokowaas.conf`,
        opcache: `${confDir}/conf.d/90-mokowaas.ini`,
        service: `php${v}-fpm`,
        binary: c.phpFpm.binary ?? `/usr/sbin/php-fpm${v}`,
        pidFile: c.phpFpm.pidFile ?? `/run/php/php${v}-fpm.pid`,
        socketDir: c.phpFpm.socketDir,
    };
}

export function caddyPaths(c: PlatformConfig) {
    return {
        caddyfile: `${c.caddy.configDir}/Caddyfile`,
        acmeEmail: `${c.caddy.configDir}/mokowaas-globals.d/acme-email`,
        dropIn: `${c.paths.systemdDir}/${c.caddy.service}.service.d/mokowaas.conf`,
        sysctl: `${c.paths.sysctlDir}/60-mokowaas-caddy.conf`,
    };
}
