/** Step 6: the pinned Joomla release, laid down beside the others, with its blueprint, and every tenant moved to it. */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { mokowaasCommand, shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import { hashFolder } from "../hash-folder";
import { mokowaasPrefix, serverPaths, sudoPrefix } from "../server-paths";
import { RUNTIME_DIR } from "./runtime";
import type { PlatformServer } from "./server";

/**
 * Installs the pinned Joomla release: download, verify its checksum, unpack beside the old releases,
 * install the bootstrap files, flip `current` (new tenants are pinned to it), rebuild the blueprint,
 * then move the tenants to it one by one (`upgrade --all`: each with its own pre-upgrade archive,
 * maintenance window, verification and rollback; canary first, stopped after too many failures)
 * and migrate every tenant on its own release (a tenant held back or rolled back keeps its release).
 * A tenant that failed fails the step, after the others ran. The package is unpacked twice: `<rel>.dist` as published (the blueprint's
 * source: `blueprint create` runs its installer in a copy) and `<rel>` without installation/
 * (served; `release bootstrap` refuses a release that still has an installer). A release folder
 * is only ever complete (unpacked under .partial, then renamed).
 */
export function joomlaReleaseScript(c: PlatformConfig): string {
    const q = shellQuote;
    const s = sudoPrefix(c);
    const moko = (...args: string[]) => mokowaasCommand(mokowaasPrefix(c), ...args);
    const { releases, current } = serverPaths(c);
    const rel = `${releases}/joomla-${c.joomla.version}`;
    const u = c.joomla.upgrade;
    const dist = `${rel}.dist`;
    const [tool, sum] = c.joomla.sha256 ? ["sha256sum", c.joomla.sha256] : ["sha512sum", c.joomla.sha512 ?? ""];
    const unpack = (dir: string) =>
        /\.zip$/i.test(c.joomla.url) ? `${s}unzip -q "$tmp/package" -d ${q(dir + ".partial")}` : `${s}tar -xf "$tmp/package" -C ${q(dir + ".partial")}`;
    const place = (dir: string, dropInstaller: boolean) => [
        `  if [ ! -d ${q(dir)} ]; then`,
        `    ${s}rm -rf ${q(dir + ".partial")}`,
        `    ${s}mkdir -p ${q(dir + ".partial")}`,
        `    ${unpack(dir)}`,
        ...(dropInstaller ? [`    ${s}rm -rf ${q(dir + ".partial/installation")}`] : []),
        `    ${s}mv ${q(dir + ".partial")} ${q(dir)}`,
        "  fi",
    ];
    return [
        "set -eu",
        `if [ ! -d ${q(rel)} ] || [ ! -d ${q(dist)} ]; then`,
        `  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT`,
        `  curl -fsSL --retry 3 -o "$tmp/package" ${q(c.joomla.url)}`,
        `  echo ${q(`${sum}  `)}"$tmp/package" | ${tool} -c --status - || { echo ${q(`Joomla ${c.joomla.version}: checksum mismatch for ${c.joomla.url}`)} >&2; exit 1; }`,
        ...place(dist, false),
        ...place(rel, true),
        "fi",
        moko("release", "bootstrap", rel),
        `if [ "$(readlink ${q(current)} 2>/dev/null || true)" != ${q(rel)} ]; then`,
        `  ${s}ln -sfn ${q(rel)} ${q(current + ".new")}`,
        `  ${s}mv -T ${q(current + ".new")} ${q(current)}`,
        "fi",
        moko("blueprint", "create", "--release", dist),
        "status=0",
        `${moko("upgrade", "--all", "--release", `joomla-${c.joomla.version}`, "--concurrency", String(u.concurrency), "--canary", String(u.canary), "--max-failures", String(u.maxFailures))} || status=$?`,
        moko("migrate", "--all"),
        'exit "$status"',
    ].join("\n");
}

/** The summary line `mokowaas upgrade --all` prints last (a platform output the fleet shows), "" when there is none. */
export function fleetUpgradeSummary(stdout: string): string {
    return stdout.split("\n").reverse().find((l) => l.startsWith("upgrade to ")) ?? "";
}

/** Reruns when the release or the runtime (its bootstrap files, its migrations) changes. */
export function joomlaReleaseStep(server: PlatformServer, dependsOn: pulumi.Resource[]): command.remote.Command {
    const c = server.config;
    return server.run(
        "joomla-release",
        { create: joomlaReleaseScript(c), triggers: [c.joomla.version, c.joomla.url, c.joomla.sha256 ?? c.joomla.sha512 ?? "", hashFolder(RUNTIME_DIR)] },
        dependsOn,
    );
}
