/**
 * Step 9: the systemd timers of runtime/systemd (nightly backup + prune, health every 5 minutes,
 * the weekly restore drill),
 * rendered for this platform: the shipped units name the default CLI path; here they run the
 * configured PHP and CLI with the platform's MOKOWAAS_ROOT, environment and Borg base folder,
 * exactly what the control plane's own calls use (server-paths.ts mokowaasPrefix).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { installFilesScript } from "../install-files";
import { runtimePaths, serverPaths, sudoPrefix, systemdEscape } from "../server-paths";
import { RUNTIME_DIR } from "./runtime";
import type { PlatformServer } from "./server";

const SYSTEMD_DIR = path.join(RUNTIME_DIR, "systemd");
/** The CLI path the shipped units are written with. */
export const TEMPLATE_CLI = "/opt/mokowaas/runtime/bin/mokowaas";
const TEMPLATE_BORG_BASE = "Environment=BORG_BASE_DIR=/var/lib/mokowaas/borg";

export const TIMERS = ["mokowaas-backup.timer", "mokowaas-drill.timer", "mokowaas-health.timer"] as const;

/** A word on a systemd command line. */
function systemdWord(word: string): string {
    const w = systemdEscape(word);
    return /^[A-Za-z0-9_@+=:,./-]+$/.test(w) ? w : `"${w.replace(/(["\\])/g, "\\$1")}"`;
}

/** One unit file rendered for the platform; a template that no longer has the expected lines is an error. */
export function renderUnit(c: PlatformConfig, file: string, template: string): string {
    if (!file.endsWith(".service")) return template;
    const cli = [c.paths.php, runtimePaths(c).cli].map(systemdWord).join(" ");
    if (!template.includes(`ExecStart=${TEMPLATE_CLI} `)) throw new Error(`runtime/systemd/${file}: no "ExecStart=${TEMPLATE_CLI} ..." line to render`);
    if (!template.includes(TEMPLATE_BORG_BASE)) throw new Error(`runtime/systemd/${file}: no "${TEMPLATE_BORG_BASE}" line to render`);
    const env = Object.entries({ MOKOWAAS_ROOT: c.paths.root, ...c.paths.env }).map(([k, v]) => `Environment="${k}=${systemdEscape(v)}"`);
    return template
        .split(`ExecStart=${TEMPLATE_CLI} `).join(`ExecStart=${cli} `)
        .replace(TEMPLATE_BORG_BASE, [`Environment="BORG_BASE_DIR=${systemdEscape(serverPaths(c).borgBase)}"`, ...env].join("\n"));
}

/** Every unit of runtime/systemd, rendered: file name -> content. */
export function timerUnits(c: PlatformConfig): Record<string, string> {
    return Object.fromEntries(
        fs.readdirSync(SYSTEMD_DIR).filter((f) => /\.(service|timer)$/.test(f)).sort()
            .map((f) => [f, renderUnit(c, f, fs.readFileSync(path.join(SYSTEMD_DIR, f), "utf8"))]),
    );
}

/** Installs the units, reloads systemd when they changed, enables and starts the timers. */
export function timersInstallScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const files = Object.entries(timerUnits(c)).map(([name, content]) => ({ path: `${c.paths.systemdDir}/${name}`, content }));
    return installFilesScript(files, {
        sudo: s,
        what: "systemd timers",
        apply: [`${s}systemctl daemon-reload`],
        always: [`${s}systemctl enable --now --quiet ${TIMERS.join(" ")}`],
    });
}

export function timersStep(server: PlatformServer, dependsOn: pulumi.Resource[]): command.remote.Command {
    return server.run("timers", { create: timersInstallScript(server.config) }, dependsOn);
}
