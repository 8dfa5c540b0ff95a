/** Step 6: the pinned Joomla release, laid down beside the others, with its blueprint, and every tenant moved to it. */
import { createHash } from "node:crypto";
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
    const rel = `${releases}/${releaseName(c)}`;
    const u = c.joomla.upgrade;
    // The package as published does not depend on the extensions: one per Joomla version.
    const dist = `${releases}/joomla-${c.joomla.version}.dist`;
    const [tool, sum] = c.joomla.sha256 ? ["sha256sum", c.joomla.sha256] : ["sha512sum", c.joomla.sha512 ?? ""];
    const unpack = (dir: string) =>
        /\.zip$/i.test(c.joomla.url) ? `${s}unzip -q "$tmp/package" -d ${q(dir + ".partial")}` : `${s}tar -xf "$tmp/package" -C ${q(dir + ".partial")}`;
    const place = (dir: string, dropInstaller: boolean, before: string[] = []) => [
        `  if [ ! -d ${q(dir)} ]; then`,
        `    ${s}rm -rf ${q(dir + ".partial")}`,
        `    ${s}mkdir -p ${q(dir + ".partial")}`,
        `    ${unpack(dir)}`,
        ...(dropInstaller ? [`    ${s}rm -rf ${q(dir + ".partial/installation")}`] : []),
        ...before,
        `    ${s}mv ${q(dir + ".partial")} ${q(dir)}`,
        "  fi",
    ];
    // Each extension package fetched and checked against its SHA-512 before anything is unpacked,
    // then installed into the unpacked release by Joomla's own installer before the release is complete.
    const fetchExtensions = c.extensions.flatMap((e, i) => [
        e.url !== undefined ? `  curl -fsSL --retry 3 -o "$tmp/ext-${i}" ${q(e.url)}` : `  cp -- ${q(e.path ?? "")} "$tmp/ext-${i}"`,
        `  echo ${q(`${e.sha512}  `)}"$tmp/ext-${i}" | sha512sum -c --status - || { echo ${q(`extension ${e.name}: checksum mismatch for ${e.url ?? e.path}`)} >&2; exit 1; }`,
    ]);
    const installExtensions = c.extensions.length === 0 ? [] : [
        `    ${moko("release", "extensions", rel + ".partial", "--dist", dist)} ${c.extensions.map((e, i) => `--package ${q(`${e.name}=${e.sha512}:`)}"$tmp/ext-${i}"`).join(" ")}`,
    ];
    return [
        "set -eu",
        `if [ ! -d ${q(rel)} ] || [ ! -d ${q(dist)} ]; then`,
        `  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT`,
        `  curl -fsSL --retry 3 -o "$tmp/package" ${q(c.joomla.url)}`,
        `  echo ${q(`${sum}  `)}"$tmp/package" | ${tool} -c --status - || { echo ${q(`Joomla ${c.joomla.version}: checksum mismatch for ${c.joomla.url}`)} >&2; exit 1; }`,
        ...fetchExtensions,
        ...place(dist, false),
        ...place(rel, true, installExtensions),
        "fi",
        moko("release", "bootstrap", rel),
        `if [ "$(readlink ${q(current)} 2>/dev/null || true)" != ${q(rel)} ]; then`,
        `  ${s}ln -sfn ${q(rel)} ${q(current + ".new")}`,
        `  ${s}mv -T ${q(current + ".new")} ${q(current)}`,
        "fi",
        moko("blueprint", "create", "--release", dist),
        "status=0",
        `${moko("upgrade", "--all", "--release", releaseName(c), "--concurrency", String(u.concurrency), "--canary", String(u.canary), "--max-failures", String(u.maxFailures))} || status=$?`,
        moko("migrate", "--all"),
        'exit "$status"',
    ].join("\n");
}

/**
 * The release's folder name: `joomla-<version>`, and with extensions `-x<id>`, where the id is a
 * digest of the extension set (names and package checksums). A release never changes once laid
 * down: another extension set, or another version of one package, is another release.
 */
export function releaseName(c: { joomla: Pick<PlatformConfig["joomla"], "version">; extensions: PlatformConfig["extensions"] }): string {
    if (c.extensions.length === 0) return `joomla-${c.joomla.version}`;
    const set = [...c.extensions].sort((a, b) => a.name.localeCompare(b.name)).map((e) => `${e.name}=${e.sha512}`).join("\n");
    return `joomla-${c.joomla.version}-x${createHash("sha256").update(set).digest("hex").slice(0, 12)}`;
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
        { create: joomlaReleaseScript(c), triggers: [c.joomla.version, c.joomla.url, c.joomla.sha256 ?? c.joomla.sha512 ?? "", releaseName(c), hashFolder(RUNTIME_DIR)] },
        dependsOn,
    );
}
