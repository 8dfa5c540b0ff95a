/**
 * What scripts/setup.sh installed on this machine, as the TypeScript side uses it: PHP (>= 8.3,
 * with FPM), Oracle MySQL, the verified Joomla Full Packages and the Pulumi home. setup.sh writes
 * .cache/toolchain.json; every path in it is absolute. Environment overrides for one-off runs:
 * MOKOWAAS_PHP, MOKOWAAS_PHP_FPM, MOKOWAAS_MYSQL_BIN (a folder with mysqld, mysql, mysqldump).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..");
export const TOOLCHAIN_FILE = path.join(REPO, ".cache", "toolchain.json");

export interface JoomlaPackage {
    /** The verified package in the cache. */
    file: string;
    sha512: string;
    /** Where it came from: official, mirror or cache. */
    source: string;
}

export interface Toolchain {
    cache: string;
    mirror: string;
    php: { bin: string; fpm: string; version: string; source: string };
    mysql: { bin: string; mysqld: string; mysql: string; mysqldump: string; source: string };
    joomla: Record<string, JoomlaPackage>;
    pulumiHome: string;
}

let cached: Toolchain | undefined;

/** The toolchain, or a clear error saying how to get it. */
export function toolchain(env: NodeJS.ProcessEnv = process.env): Toolchain {
    if (cached && env === process.env) return cached;
    if (!fs.existsSync(TOOLCHAIN_FILE)) {
        throw new Error(`${TOOLCHAIN_FILE} is missing: run \`bash scripts/setup.sh\` (npm test and npm run local run it first)`);
    }
    const t = JSON.parse(fs.readFileSync(TOOLCHAIN_FILE, "utf8")) as Toolchain;
    if (env.MOKOWAAS_PHP) t.php = { ...t.php, bin: env.MOKOWAAS_PHP };
    if (env.MOKOWAAS_PHP_FPM) t.php = { ...t.php, fpm: env.MOKOWAAS_PHP_FPM };
    if (env.MOKOWAAS_MYSQL_BIN) {
        const bin = env.MOKOWAAS_MYSQL_BIN;
        t.mysql = { ...t.mysql, bin, mysqld: path.join(bin, "mysqld"), mysql: path.join(bin, "mysql"), mysqldump: path.join(bin, "mysqldump") };
    }
    if (env === process.env) cached = t;
    return t;
}

/** The verified Joomla Full Package of `version`. */
export function joomlaPackage(version: string): JoomlaPackage {
    const pkg = toolchain().joomla[version];
    if (!pkg) {
        throw new Error(`no Joomla ${version} package in ${TOOLCHAIN_FILE}: add it to devenv/joomla-packages.json and run \`bash scripts/setup.sh\``);
    }
    return pkg;
}

/**
 * PATH for server-side processes (the server CLI, PHP-FPM workers, the local platform's server
 * commands): the toolchain's PHP and MySQL client folders, then a server's system folders (borg,
 * tar, setpriv), nothing of the developer's own PATH.
 */
export function serverPath(env: NodeJS.ProcessEnv = process.env): string {
    const t = toolchain(env);
    return [...new Set([path.dirname(t.php.bin), t.mysql.bin])].join(":") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/** The toolchain's PHP CLI binary. */
export function phpBin(): string {
    return toolchain().php.bin;
}
