/**
 * Where things are on a platform server, derived from its config in one place: the runtime and
 * its CLI, the data plane's folders (the same derivation as runtime/src/Paths.php), the PHP-FPM
 * master's and Caddy's files. Every step (infra/steps/) and the local platform read them here.
 */
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

/** Server-side data-plane paths (the same derivation as runtime/src/Paths.php). */
export function serverPaths(c: PlatformConfig) {
    const root = rootValue(c);
    return {
        releases: `${root}/srv/mokowaas/releases`,
        current: `${root}/srv/mokowaas/current`,
        platformConfig: `${root}/etc/mokowaas/platform.php`,
        borgPassphrase: `${root}/etc/mokowaas/borg.passphrase`,
        borgBase: `${root}/var/lib/mokowaas/borg`,
        /** Every tenant's PHP-FPM pool file (root only; the platform pool includes them). */
        tenantPools: `${root}/etc/mokowaas/fpm`,
    };
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
    };
}
