/**
 * The shell scripts the platform runs on its server over SSH (through serverCommand). Pure
 * functions of non-secret config, so tests can read them: secrets arrive on stdin, never here.
 * They are POSIX sh and idempotent: a re-run after a failure half-way repairs.
 */
import { mokowaasCommand, shellQuote } from "../components/server-command";
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
    const env = Object.entries({ MOKOWAAS_ROOT: c.paths.root, ...c.paths.env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    return `${sudoPrefix(c)}env ${env.join(" ")} ${shellQuote(c.paths.php)} ${shellQuote(runtimePaths(c).cli)}`;
}

/** Server-side data-plane paths (the same derivation as runtime/src/Paths.php). */
export function serverPaths(c: PlatformConfig) {
    const root = c.paths.root.replace(/\/+$/, "");
    return {
        releases: `${root}/srv/mokowaas/releases`,
        current: `${root}/srv/mokowaas/current`,
        platformConfig: `${root}/etc/mokowaas/platform.php`,
        borgPassphrase: `${root}/etc/mokowaas/borg.passphrase`,
        borgBase: `${root}/var/lib/mokowaas/borg`,
    };
}

/** A value inside a systemd unit: `%` starts a specifier there. */
export function systemdEscape(value: string): string {
    return value.replace(/%/g, "%%");
}

/** Waits until the new server finished cloud-init; on an existing server checks what must be there. */
export function readyScript(c: PlatformConfig): string {
    if (c.server.provider !== "existing") {
        return "cloud-init status --wait >/dev/null || { cloud-init status --long >&2; exit 1; }";
    }
    return [
        "set -eu",
        `${shellQuote(c.paths.php)} -r 'exit(PHP_VERSION_ID >= 80300 ? 0 : 1);' || { echo "PHP 8.3 or newer (Joomla 6's minimum) is required on the server (mokowaas:paths.php)" >&2; exit 1; }`,
    ].join("\n");
}

function adminHosts(c: PlatformConfig): string[] {
    return [...new Set([c.mysql.tenantUserHost, "127.0.0.1", "localhost"])];
}

/**
 * Creates (or re-keys) the MySQL admin account that tenant stacks and the server CLI use. The
 * password comes on stdin and is checked to be letters and digits, so it is safe inside SQL.
 */
export function mysqlAdminCreateScript(c: PlatformConfig): string {
    const sql = adminHosts(c).flatMap((h) => {
        const account = `'${c.mysql.adminUser}'@'${h}'`;
        return [
            `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY '$pw';`,
            `ALTER USER ${account} IDENTIFIED BY '$pw';`,
            `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`,
        ];
    });
    return [
        "set -eu",
        "pw=$(cat)",
        `case "$pw" in ''|*[!A-Za-z0-9]*) echo "mysql admin: the password on stdin must be letters and digits" >&2; exit 3;; esac`,
        `${sudoPrefix(c)}${c.mysql.rootClient} <<SQL`,
        ...sql,
        "SQL",
    ].join("\n");
}

export function mysqlAdminDeleteScript(c: PlatformConfig): string {
    const sql = adminHosts(c).map((h) => `DROP USER IF EXISTS '${c.mysql.adminUser}'@'${h}';`);
    return ["set -eu", `${sudoPrefix(c)}${c.mysql.rootClient} <<'SQL'`, ...sql, "SQL"].join("\n");
}

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
        `test -f ${q(p.staging + "/runtime/bin/mokowaas")} || { echo "runtime missing in ${p.staging}: the copy did not complete" >&2; exit 1; }`,
        `${s}rm -rf ${q(p.dir + ".new")} ${q(p.dir + ".old")}`,
        `${s}cp -R ${q(p.staging + "/runtime")} ${q(p.dir + ".new")}`,
        `${s}chown -R 0:0 ${q(p.dir + ".new")} 2>/dev/null || true`,
        `${s}chmod -R go-w ${q(p.dir + ".new")}`,
        `if [ -e ${q(p.dir)} ]; then ${s}mv ${q(p.dir)} ${q(p.dir + ".old")}; fi`,
        `${s}mv ${q(p.dir + ".new")} ${q(p.dir)}`,
        `${s}rm -rf ${q(p.dir + ".old")} ${q(p.staging)}`,
        // The served release holds copies of the bootstrap files and the registry holds compiled
        // files: on an upgraded server both must come from the new runtime (a first install has
        // neither yet; the release step bootstraps it).
        `if [ -L ${q(current)} ]; then ${mokowaasPrefix(c)} release bootstrap "$(readlink ${q(current)})"; fi`,
        `if ${s}test -f ${q(platformConfig)}; then ${mokowaasCommand(mokowaasPrefix(c), "registry", "rebuild")}; fi`,
    ].join("\n");
}

/**
 * Writes the Borg passphrase (stdin) to its root-only file (0600, the server CLI refuses anything
 * looser). An existing file with another passphrase is never replaced: archives made with it
 * would become unreadable. Adopt it instead (mokowaas:borgPassphrase), see docs/config.md.
 */
export function borgPassphraseScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const f = shellQuote(serverPaths(c).borgPassphrase);
    return [
        "set -eu",
        "pp=$(cat)",
        `case "$pp" in ''|*[!A-Za-z0-9]*) echo "borg passphrase: the passphrase on stdin must be letters and digits" >&2; exit 3;; esac`,
        `if ${s}test -e ${f}; then`,
        `  if [ "$(${s}cat ${f})" != "$pp" ]; then`,
        `    echo ${shellQuote(`borg passphrase: ${serverPaths(c).borgPassphrase} exists and holds another passphrase; it is kept (archives made with it need it). ` +
            "Adopt it: `pulumi config set --secret mokowaas:borgPassphrase < <that file>`, then `pulumi up` again")} >&2`,
        "    exit 6",
        "  fi",
        "else",
        `  ${s}mkdir -p ${shellQuote(serverPaths(c).borgPassphrase.replace(/\/[^/]*$/, ""))}`,
        // printf is a shell builtin: the passphrase never reaches any argv.
        `  printf '%s' "$pp" | ${s}sh -c ${shellQuote(`umask 077; cat > ${f}.new && mv -f ${f}.new ${f}`)}`,
        "fi",
        `${s}chmod 600 ${f}`,
        `${s}chown 0:0 ${f} 2>/dev/null || true`,
    ].join("\n");
}

/** `mokowaas platform init` with the admin password on stdin. */
export function platformInitCommand(c: PlatformConfig): string {
    return mokowaasCommand(
        mokowaasPrefix(c),
        "platform", "init",
        "--mysql-host", c.mysql.serverHost,
        "--mysql-port", String(c.mysql.serverPort),
        "--mysql-user", c.mysql.adminUser,
        "--php-user", c.phpUser,
        ...(c.borgRepo ? ["--borg-repo", c.borgRepo] : []),
        ...(c.webUrl ? ["--web-url", c.webUrl] : []),
    );
}

/**
 * Installs the pinned Joomla release: download, verify its checksum, unpack beside the old release,
 * install the bootstrap files, back every tenant up, flip `current`, rebuild the blueprint and
 * migrate every tenant. The package is unpacked twice: `<rel>.dist` as published (the blueprint's
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
        `  echo ${q(`${sum}  `)}"$tmp/package" | ${tool} -c --status - || { echo "Joomla ${c.joomla.version}: checksum mismatch for ${c.joomla.url}" >&2; exit 1; }`,
        ...place(dist, false),
        ...place(rel, true),
        "fi",
        moko("release", "bootstrap", rel),
        `if [ "$(readlink ${q(current)} 2>/dev/null || true)" != ${q(rel)} ]; then`,
        `  if [ -e ${q(current)} ]; then ${moko("backup", "--all", "--tag", `pre-joomla-${c.joomla.version}`)}; fi`,
        `  ${s}ln -sfn ${q(rel)} ${q(current + ".new")}`,
        `  ${s}mv -T ${q(current + ".new")} ${q(current)}`,
        "fi",
        moko("blueprint", "create", "--release", dist),
        moko("migrate", "--all"),
    ].join("\n");
}
