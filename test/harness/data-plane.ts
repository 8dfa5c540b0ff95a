/**
 * A whole data plane in a temporary root for tests: platform config, the stand-in Joomla release
 * with our bootstrap installed by the real `mokowaas release bootstrap`, `current` pointing at it,
 * PHP-FPM and Caddy on private ports (devenv/); plus helpers to create tenants (database, user,
 * marker row, registry entry). Used by the runtime tests and the HTTP benchmark.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import type { RegistryEntry } from "../../components/tenant";
import { startCaddy, type Caddy } from "../../devenv/caddy";
import { adminConnection, type MySqlInfo } from "../../devenv/mysql";
import { startPhpFpm, type PhpFpm } from "../../devenv/php-fpm";
import { PHP_USER, check, makeTraversable, mokowaas, php, type CliResult } from "../../devenv/server-cli";
import { markerSql, writeStandinRelease } from "../../devenv/standin-docroot";

/**
 * The registry entry as the control plane writes it (components/tenant.ts), with the optional
 * parts the server fills in with defaults left optional.
 */
export type TenantEntry = Omit<RegistryEntry, "comingSoon" | "backup"> & {
    comingSoon?: Partial<RegistryEntry["comingSoon"]>;
    backup?: RegistryEntry["backup"];
};

/** A platform root with config and the bootstrapped stand-in release as `current` (no services). */
export function preparePlatform(root: string, db: MySqlInfo): { release: string } {
    fs.mkdirSync(root, { recursive: true });
    makeTraversable(root);
    check(mokowaas(root, ["platform", "init", "--mysql-host", db.host, "--mysql-port", String(db.port),
        "--mysql-user", db.adminUser, "--php-user", PHP_USER], db.adminPassword), "platform init");
    // A real /etc is world-traversable; etc/mokowaas itself stays 0750 root:<php user>.
    fs.chmodSync(path.join(root, "etc"), 0o755);
    const srv = path.join(root, "srv", "mokowaas");
    const release = path.join(srv, "releases", "standin");
    writeStandinRelease(release);
    makeTraversable(release);
    check(mokowaas(root, ["release", "bootstrap", release]), "release bootstrap");
    fs.symlinkSync("releases/standin", path.join(srv, "current"));
    return { release };
}

export interface DataPlane {
    root: string;
    release: string;
    fpm: PhpFpm;
    caddy: Caddy;
    stop(): Promise<void>;
}

export async function startDataPlane(dir: string, db: MySqlInfo): Promise<DataPlane> {
    const root = path.join(dir, "root");
    const { release } = preparePlatform(root, db);
    const fpm = await startPhpFpm({ dir: path.join(dir, "fpm"), root });
    let caddy: Caddy;
    try {
        caddy = await startCaddy({ dir: path.join(dir, "caddy"), root, phpFpm: fpm.address });
    } catch (e) {
        await fpm.stop();
        throw e;
    }
    return {
        root, release, fpm, caddy,
        async stop() {
            await caddy.stop();
            await fpm.stop();
        },
    };
}

/** Hosts of a test tenant: dev.<t>.example.com, <t>.example.com, www.<t>.example.com. */
export function tenantHosts(tenant: string) {
    return { dev: `dev.${tenant}.example.com`, production: `${tenant}.example.com`, aliases: [`www.${tenant}.example.com`] };
}

/**
 * Creates the tenant's database and user (granted on that database only) with a marker row, and
 * returns its registry entry (not yet put). The image path mimics what seeding writes to com_media.
 */
export async function createTenantDb(db: MySqlInfo, tenant: string, extra: Partial<TenantEntry> = {}): Promise<TenantEntry> {
    const name = `t_${tenant.replace(/-/g, "_")}`;
    const password = `pw-${tenant}-${Math.random().toString(36).slice(2)}`;
    const prefix = "jx_";
    const c = await adminConnection(db);
    try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\``);
        for (const h of ["127.0.0.1", "localhost"]) {
            await c.query(`DROP USER IF EXISTS '${name}'@'${h}'`);
            await c.query(`CREATE USER '${name}'@'${h}' IDENTIFIED BY '${password}'`);
            await c.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO '${name}'@'${h}'`);
        }
        await c.query(`USE \`${name}\`; ${markerSql(prefix, `marker-of-${tenant}`, `sites/${tenant}/media/images`)}`);
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

export function putEntry<T extends { tenant: string }>(root: string, entry: T): CliResult {
    return mokowaas(root, ["registry", "put", entry.tenant], JSON.stringify(entry));
}

export function setState(root: string, tenant: string, state: string): void {
    check(php(root, `(new MokoWaaS\\Registry(MokoWaaS\\Paths::fromEnv()))->setState(${JSON.stringify(tenant)}, ${JSON.stringify(state)});`), `setState ${tenant} ${state}`);
}

/**
 * Sends `rawHost` byte for byte as the Host header (node's http client refuses control characters)
 * over TLS with SNI `sni`; returns the status code, or 0 when the server closed without answering.
 */
export function rawHttpsStatus(caddy: Caddy, sni: string, rawHost: Buffer | string, urlPath = "/"): Promise<{ status: number; body: string }> {
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
            resolve({ status: m ? Number(m[1]) : 0, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
        });
    });
}
