/**
 * A whole data plane in a temporary root for tests: platform config, a Joomla release with our
 * bootstrap installed by the real `mokowaas release bootstrap`, `current` pointing at it, PHP-FPM
 * and Caddy on private ports (devenv/); plus helpers to create tenants. The release is either real
 * Joomla (`{ joomla: "6.0.4" }`: the Full Package, its blueprint built by Joomla's own installer,
 * tenants seeded from it) or the contract docroot (test/harness/contract-docroot.ts), a fake that
 * prints what the bootstrap handed it, for tests of the bootstrap's contract in isolation. Used by
 * the runtime tests and the HTTP benchmarks.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import type { RegistryEntry } from "../../components/tenant";
import { startCaddy, type Caddy } from "../../devenv/caddy";
import { adminConnection, type MySqlInfo } from "../../devenv/mysql";
import { fpmBinary, fpmFiles, fpmSocketDir, startPhpFpm, type PhpFpm } from "../../devenv/php-fpm";
import { PHP_USER, check, makeTraversable, mokowaas, mokowaasAsync, php, type CliResult } from "../../devenv/server-cli";
import { removeTenantAccounts } from "./accounts";
import { markerSql, writeContractDocroot } from "./contract-docroot";
import { joomlaRelease } from "./joomla-package";

/**
 * The registry entry as the control plane writes it (components/tenant.ts), with the optional
 * parts the server fills in with defaults left optional.
 */
export type TenantEntry = Omit<RegistryEntry, "comingSoon" | "backup" | "limits"> & {
    comingSoon?: Partial<RegistryEntry["comingSoon"]>;
    backup?: RegistryEntry["backup"];
    limits?: Partial<RegistryEntry["limits"]>;
};

export interface PlaneOptions {
    /** A Joomla version: serve that real release. Absent: the contract docroot. */
    joomla?: string;
    /** php.ini settings for the PHP-FPM master over the shipped ones (benchmarks: opcache.restrict_api). */
    fpmIni?: Record<string, string>;
    /** Caddy with its admin endpoint on loopback, so `plane.caddy.reload()` works (drills). */
    caddyAdmin?: boolean;
}

/**
 * A platform root with config and a bootstrapped release as `current` (no services). The platform
 * config names the PHP-FPM master that `startPhpFpm(fpmDir)` runs, so each tenant's pool is
 * checked and reloaded into it; Caddy runs as root here, so root is the web group.
 */
export function preparePlatform(root: string, db: MySqlInfo, fpmDir: string, opts: PlaneOptions = {}): { release: string } {
    fs.mkdirSync(root, { recursive: true });
    makeTraversable(root);
    platformInit(root, db, fpmDir);
    const srv = path.join(root, "srv", "mokowaas");
    const name = opts.joomla ? `joomla-${opts.joomla}` : "contract";
    const release = path.join(srv, "releases", name);
    if (opts.joomla) {
        // As the platform lays a release down: served without its installer; the blueprint is
        // built by that installer from the package as published (`<release>.dist`).
        joomlaRelease(opts.joomla, release, { installer: false });
        joomlaRelease(opts.joomla, `${release}.dist`);
    } else {
        writeContractDocroot(release);
    }
    makeTraversable(release);
    check(mokowaas(root, ["release", "bootstrap", release]), "release bootstrap");
    fs.symlinkSync(`releases/${name}`, path.join(srv, "current"));
    if (opts.joomla) check(mokowaas(root, ["blueprint", "create", "--release", `${release}.dist`]), "blueprint create");
    return { release };
}

/**
 * `mokowaas platform init` for a test root whose PHP-FPM master runs in `fpmDir` (extra options
 * appended). Caddy issues from its own CA here, so there is no certificate cap unless `extra` sets one.
 */
export function platformInit(root: string, db: MySqlInfo, fpmDir: string, extra: string[] = []): void {
    const fpm = fpmFiles(fpmDir);
    const cap = extra.some((o) => o.startsWith("--cert-")) ? [] : ["--no-cert-cap"];
    check(mokowaas(root, ["platform", "init", "--mysql-host", db.host, "--mysql-port", String(db.port),
        "--mysql-user", db.adminUser, "--php-user", PHP_USER, "--fpm-binary", fpmBinary(), "--fpm-config", fpm.config,
        "--fpm-pid-file", fpm.pidFile, "--fpm-socket-dir", fpmSocketDir(root), "--web-group", "root", ...cap, ...extra], db.adminPassword), "platform init");
}

export interface DataPlane {
    root: string;
    release: string;
    /** Where its PHP-FPM master runs (platform init names it). */
    fpmDir: string;
    fpm: PhpFpm;
    caddy: Caddy;
    stop(): Promise<void>;
}

export async function startDataPlane(dir: string, db: MySqlInfo, opts: PlaneOptions = {}): Promise<DataPlane> {
    const root = path.join(dir, "root");
    const { release } = preparePlatform(root, db, path.join(dir, "fpm"), opts);
    const fpm = await startPhpFpm({ dir: path.join(dir, "fpm"), root, ini: opts.fpmIni });
    let caddy: Caddy;
    try {
        caddy = await startCaddy({ dir: path.join(dir, "caddy"), root, phpFpm: fpm.address, admin: opts.caddyAdmin });
    } catch (e) {
        await fpm.stop();
        throw e;
    }
    return {
        root, release, fpm, caddy, fpmDir: path.join(dir, "fpm"),
        async stop() {
            await caddy.stop();
            await fpm.stop();
            removeTenantAccounts(root);
        },
    };
}

/** Hosts of a test tenant: dev.<t>.example.com, <t>.example.com, www.<t>.example.com. */
export function tenantHosts(tenant: string) {
    return { dev: `dev.${tenant}.example.com`, production: `${tenant}.example.com`, aliases: [`www.${tenant}.example.com`] };
}

/**
 * Creates the tenant's database and user (granted on that database only) and returns its registry
 * entry (not yet put). With `marker` (the contract docroot) the database gets a marker row whose
 * image path mimics what seeding writes to com_media; real Joomla tenants are seeded instead.
 */
export async function createTenantDb(db: MySqlInfo, tenant: string, extra: Partial<TenantEntry> = {}, opts: { marker?: boolean } = {}): Promise<TenantEntry> {
    const name = `t_${tenant.replace(/-/g, "_")}`;
    const password = `pw-${tenant}-${Math.random().toString(36).slice(2)}`;
    const prefix = "jx_";
    const c = await adminConnection(db);
    try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        for (const h of ["127.0.0.1", "localhost"]) {
            await c.query(`DROP USER IF EXISTS '${name}'@'${h}'`);
            await c.query(`CREATE USER '${name}'@'${h}' IDENTIFIED BY '${password}'`);
            await c.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO '${name}'@'${h}'`);
        }
        if (opts.marker ?? true) await c.query(`USE \`${name}\`; ${markerSql(prefix, `marker-of-${tenant}`, `sites/${tenant}/media/images`)}`);
    } finally {
        await c.end();
    }
    return {
        tenant,
        hosts: tenantHosts(tenant),
        online: false,
        db: { host: db.host, port: db.port, name, user: name, password, prefix },
        secret: `secret-${tenant}-0123456789`,
        siteName: `Site of ${tenant}`,
        mail: { from: `webmaster@${tenant}.example.com`, fromName: `Site of ${tenant}` },
        ...extra,
    };
}

/**
 * A real Joomla tenant: database and user, registry entry, seeded from the blueprint with its own
 * super user. The CLI runs as child processes, so several can be added at once (the registry's
 * lock and the blueprint's standby copy order them where they must).
 */
export async function addJoomlaTenant(root: string, db: MySqlInfo, tenant: string, extra: Partial<TenantEntry> = {}): Promise<{ entry: TenantEntry; admin: { username: string; password: string } }> {
    const entry = await createTenantDb(db, tenant, extra, { marker: false });
    check(await mokowaasAsync(root, ["registry", "put", tenant], JSON.stringify(entry)), `registry put ${tenant}`);
    const admin = { username: `admin-${tenant}`, password: `Pw-${tenant}-${Math.random().toString(36).slice(2)}-x`, email: `admin@${tenant}.example.com` };
    check(await mokowaasAsync(root, ["tenant", "seed", tenant], JSON.stringify(admin)), `tenant seed ${tenant}`);
    return { entry, admin: { username: admin.username, password: admin.password } };
}

export function putEntry<T extends { tenant: string }>(root: string, entry: T): CliResult {
    return mokowaas(root, ["registry", "put", entry.tenant], JSON.stringify(entry));
}

export function setState(root: string, tenant: string, state: string): void {
    check(php(root, `(new MokoWaaS\\Registry(MokoWaaS\\Paths::fromEnv()))->setState(${JSON.stringify(tenant)}, ${JSON.stringify(state)});`), `setState ${tenant} ${state}`);
}

/** A TLS handshake with `sni` through Caddy: resolves with the certificate's subject alt names, rejects when it fails. */
export function tlsHandshake(caddy: Caddy, sni: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port: caddy.httpsPort, servername: sni, ca: caddy.ca }, () => {
            const san = s.getPeerCertificate().subjectaltname ?? "";
            s.end();
            resolve(san);
        });
        s.on("error", reject);
        s.setTimeout(20_000, () => s.destroy(new Error("timeout")));
    });
}

/** Pins a tenant to another release (a folder under releases/), as `mokowaas upgrade` does, without its other steps. */
export function setRelease(root: string, tenant: string, release: string): void {
    check(php(root, `(new MokoWaaS\\Registry(MokoWaaS\\Paths::fromEnv()))->setRelease(${JSON.stringify(tenant)}, ${JSON.stringify(release)});`), `setRelease ${tenant} ${release}`);
}

/**
 * Sends `rawHost` byte for byte as the Host header (node's http client refuses control characters)
 * over TLS with SNI `sni`; returns the status code, or 0 when the server closed without answering.
 */
export function rawHttpsStatus(caddy: Caddy, sni: string, rawHost: Buffer | string, urlPath = "/"): Promise<{ status: number; body: string; location?: string }> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: caddy.httpsPort, servername: sni, ca: caddy.ca }, () => {
            socket.write(Buffer.concat([
                Buffer.from(`GET ${urlPath} HTTP/1.1\r\nHost: `),
                Buffer.isBuffer(rawHost) ? rawHost : Buffer.from(rawHost, "latin1"),
                Buffer.from("\r\nConnection: close\r\n\r\n"),
            ]));
        });
        const chunks: Buffer[] = [];
        socket.on("data", (d: Buffer) => chunks.push(d));
        socket.on("error", reject);
        socket.setTimeout(20_000, () => socket.destroy(new Error("timeout")));
        socket.on("close", () => {
            const text = Buffer.concat(chunks).toString("latin1");
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
            const head = text.slice(0, text.indexOf("\r\n\r\n"));
            resolve({ status: m ? Number(m[1]) : 0, body: text.slice(text.indexOf("\r\n\r\n") + 4), location: /^location: (.*)$/im.exec(head)?.[1]?.trim() });
        });
    });
}
