/**
 * Step 4: `mokowaas platform init`, the server CLI's platform config (MySQL admin, PHP-FPM master,
 * web group, Borg repository and how to reach it, restore drill age, hooks), with the admin
 * password on stdin.
 */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { mokowaasCommand } from "../../components/server-command";
import { type PlatformConfig, isRemoteBorgRepo } from "../config";
import { mokowaasPrefix, phpFpmPaths, serverPaths } from "../server-paths";
import type { PlatformServer } from "./server";

/** `mokowaas platform init` with the admin password on stdin. */
export function platformInitCommand(c: PlatformConfig): string {
    const fpm = phpFpmPaths(c);
    return mokowaasCommand(
        mokowaasPrefix(c),
        "platform", "init",
        "--mysql-host", c.mysql.serverHost,
        "--mysql-port", String(c.mysql.serverPort),
        "--mysql-user", c.mysql.adminUser,
        "--php-user", c.phpUser,
        "--fpm-binary", fpm.binary,
        "--fpm-config", fpm.config,
        "--fpm-pid-file", fpm.pidFile,
        "--fpm-socket-dir", fpm.socketDir,
        "--web-group", c.caddy.group,
        ...(c.borgRepo ? ["--borg-repo", c.borgRepo] : []),
        // An off-site repository: the server's key (step borg-ssh-key) and the backup host's key, pinned.
        ...(isRemoteBorgRepo(c.borgRepo) ? ["--borg-ssh-key", serverPaths(c).borgSshKey, "--borg-host-key", c.borgHostKey!] : []),
        // The weekly restore drill runs from the timers: health then checks its result.
        ...(c.timers.install ? ["--drill-max-age-hours", String(c.timers.drillMaxAgeHours)] : []),
        ...(c.webUrl ? ["--web-url", c.webUrl] : []),
        // Caddy's own CA has no rate limits to stay under.
        ...(c.caddy.certIssuer === "internal" ? ["--no-cert-cap"] : [
            "--cert-new-per-3h", String(c.caddy.certificateCap.newPer3Hours),
            "--cert-new-per-domain-week", String(c.caddy.certificateCap.newPerDomainWeek),
        ]),
    );
}

export function platformInitStep(server: PlatformServer, adminPassword: pulumi.Input<string>, dependsOn: pulumi.Resource[]): command.remote.Command {
    return server.run("platform-init", { create: platformInitCommand(server.config), stdin: adminPassword }, dependsOn);
}
