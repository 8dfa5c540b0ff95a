/**
 * Step 3: the data plane (runtime/) on the server: staged, copied, then swapped in. On an
 * upgraded server the install also re-bootstraps every release and rebuilds the registry
 * with the new runtime.
 */
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { mokowaasCommand, shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import { hashFolder } from "../hash-folder";
import { mokowaasPrefix, runtimePaths, serverPaths, sudoPrefix } from "../server-paths";
import type { PlatformServer } from "./server";

/** The data plane shipped to every server. */
export const RUNTIME_DIR = path.join(__dirname, "..", "..", "runtime");

/** Empties the staging folder the runtime is copied into (CopyToRemote copies into an existing folder). */
export function runtimeStageScript(c: PlatformConfig): string {
    const p = runtimePaths(c);
    const s = sudoPrefix(c);
    return [
        "set -eu",
        `${s}rm -rf ${shellQuote(p.staging)}`,
        `${s}mkdir -p ${shellQuote(p.staging)}`,
        ...(s ? [`${s}chown "$(id -un)" ${shellQuote(p.staging)}`] : []),
    ].join("\n");
}

/**
 * Installs the staged runtime: root-owned, not writable by the PHP user, swapped in by rename
 * so a half-copied runtime is never the live one.
 */
export function runtimeInstallScript(c: PlatformConfig): string {
    const p = runtimePaths(c);
    const { current, platformConfig } = serverPaths(c);
    const s = sudoPrefix(c);
    const q = shellQuote;
    return [
        "set -eu",
        `test -f ${q(p.staging + "/runtime/bin/mokowaas")} || { echo ${q(`runtime missing in ${p.staging}: the copy did not complete`)} >&2; exit 1; }`,
        `${s}rm -rf ${q(p.dir + ".new")} ${q(p.dir + ".old")}`,
        `${s}cp -R ${q(p.staging + "/runtime")} ${q(p.dir + ".new")}`,
        `${s}chown -R 0:0 ${q(p.dir + ".new")} 2>/dev/null || true`,
        `${s}chmod -R go-w ${q(p.dir + ".new")}`,
        `if [ -e ${q(p.dir)} ]; then ${s}mv ${q(p.dir)} ${q(p.dir + ".old")}; fi`,
        `${s}mv ${q(p.dir + ".new")} ${q(p.dir)}`,
        `${s}rm -rf ${q(p.dir + ".old")} ${q(p.staging)}`,
        // Every release (tenants are pinned to theirs, side by side) holds copies of the bootstrap
        // files and the registry holds compiled files: on an upgraded server both must come from
        // the new runtime (a first install has neither yet; the release step bootstraps it).
        `if [ -L ${q(current)} ]; then ${mokowaasCommand(mokowaasPrefix(c), "release", "bootstrap", "--all")}; fi`,
        `if ${s}test -f ${q(platformConfig)}; then ${mokowaasCommand(mokowaasPrefix(c), "registry", "rebuild")}; fi`,
    ].join("\n");
}

/**
 * The three steps rerun together, on a new server, when a runtime file changes, or when the
 * install script itself changes (its paths or environment): the install consumes the staging
 * copy, so it never reruns alone.
 */
export function runtimeStep(server: PlatformServer, dependsOn: pulumi.Resource[]): command.remote.Command {
    const c = server.config;
    const triggers = [hashFolder(RUNTIME_DIR), runtimeInstallScript(c)];
    const stage = server.run("runtime-stage", { create: runtimeStageScript(c), triggers }, dependsOn);
    const copy = new command.remote.CopyToRemote(
        server.name("runtime-copy"),
        {
            connection: server.connection,
            source: new pulumi.asset.FileArchive(RUNTIME_DIR),
            remotePath: runtimePaths(c).staging,
            triggers: [server.serverId, ...triggers],
        },
        { ...server.opts, dependsOn: [stage] },
    );
    return server.run("runtime-install", { create: runtimeInstallScript(c), triggers }, [copy]);
}
