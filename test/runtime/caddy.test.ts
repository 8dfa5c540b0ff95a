/**
 * The shipped Caddyfile (runtime/caddy/Caddyfile) through real Caddy and PHP-FPM: the on-demand
 * TLS ask gate, hostile Host headers, what is never served, HTTP -> HTTPS, and media isolation
 * between tenants.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { httpGet, httpsGet } from "../../devenv/caddy";
import { check } from "../../devenv/server-cli";
import { createTenantDb, putEntry, rawHttpsStatus, setState, startDataPlane, tlsHandshake, type DataPlane } from "../harness/data-plane";

let dir: string;
let plane: DataPlane;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-caddy-"));
    const db = inject("mysql");
    plane = await startDataPlane(dir, db);
    for (const t of ["alpha", "beta"]) {
        check(putEntry(plane.root, await createTenantDb(db, t, { online: true })), `put ${t}`);
        setState(plane.root, t, "ready");
    }
    check(putEntry(plane.root, await createTenantDb(db, "gamma")), "put gamma"); // provisioning
});
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

const ask = (domain: string) => httpGet(plane.caddy.askPort, `127.0.0.1:${plane.caddy.askPort}`, `/ask?domain=${encodeURIComponent(domain)}`);

const handshake = (sni: string) => tlsHandshake(plane.caddy, sni);

describe("on-demand TLS ask endpoint", () => {
    test("answers 200 for hosts in the host map (any role or state), normalized, and 404 otherwise", async () => {
        for (const d of ["dev.alpha.example.com", "alpha.example.com", "www.alpha.example.com", "dev.gamma.example.com", "DEV.Beta.Example.com."]) {
            expect((await ask(d)).status, d).toBe(200);
        }
        for (const d of ["unknown.example.com", "example.com", "dev.alpha.example.com.evil.com", "127.0.0.1", "", "../etc/passwd", "a".repeat(2000)]) {
            expect((await ask(d)).status, d).toBe(404);
        }
        expect((await httpGet(plane.caddy.askPort, `127.0.0.1:${plane.caddy.askPort}`, "/ask")).status).toBe(400);
    });

    test("is not reachable through the public sites", async () => {
        const r = await httpsGet(plane.caddy, "dev.alpha.example.com", "/mokowaas/ask.php?domain=dev.alpha.example.com");
        expect(r.status).toBe(404);
        expect(r.body).not.toContain("ok");
    });

    test("gates certificates: a known host gets one from the CA, an unknown host none", async () => {
        expect(await handshake("dev.beta.example.com")).toContain("DNS:dev.beta.example.com");
        await expect(handshake("stranger.example.com")).rejects.toThrow();
        expect(fs.readdirSync(path.join(dir, "caddy/data/caddy/certificates/local"))).not.toContain("stranger.example.com");
    });
});

describe("hostile Host headers", () => {
    // Sent raw behind a valid SNI (dev.alpha.example.com): each must be refused and never reach a
    // tenant. 400 by Go's HTTP parser (bytes no Host may hold) or by our bootstrap (the SNI's name
    // with a bad port); 421 by Caddy for any other name, as the Host/SNI check comes first.
    const refused400: (string | Buffer)[] = [
        "dev.alpha.example.com/../x", "dev.alpha.example.com\\x", "dev.alpha.example.com:", "dev.alpha.example.com:abc",
        "dev.alpha.example.com:0", "dev.alpha.example.com:70000", "user@dev.alpha.example.com", "dev.alpha\t.example.com",
        "dev.alpha .example.com", Buffer.from("dev.alpha.example.com\0.evil", "latin1"), Buffer.from("dev.\xc3\xa4lpha.example.com", "latin1"),
    ];
    const refused421: string[] = [
        "..", "dev..alpha.example.com", "dev.alpha.example.com:443:443", "[::1]", "[::1]:443", "127.0.0.1", "127.0.0.1:443",
        "localhost", "-dev.alpha.example.com", "dev_alpha.example.com", "%64ev.alpha.example.com", `${"a".repeat(64)}.example.com`,
        `${"a.".repeat(130)}com`, "a".repeat(1200), `${".".repeat(150)}example.com`, "*.alpha.example.com", "dev.alpha.example.com..",
    ];
    test(`${refused400.length + refused421.length} malformed hosts are refused (400, or 421 when not the SNI's name) and never get a tenant's page`, async () => {
        expect(refused400.length + refused421.length).toBeGreaterThanOrEqual(20);
        for (const [hosts, status] of [[refused400, 400], [refused421, 421]] as const) {
            for (const h of hosts) {
                const r = await rawHttpsStatus(plane.caddy, "dev.alpha.example.com", h);
                expect(r.status, JSON.stringify(h.toString())).toBe(status);
                expect(r.body).not.toContain("marker-of");
            }
        }
    });

    test("a port is the same tenant's site; case and a trailing dot redirect to the normal form, port kept", async () => {
        const r = await rawHttpsStatus(plane.caddy, "dev.alpha.example.com", "dev.alpha.example.com:8443");
        expect(r.status).toBe(200);
        expect(r.body).toContain("marker-of-alpha");
        for (const [h, to] of [["DEV.ALPHA.EXAMPLE.COM", "https://dev.alpha.example.com/"], ["dev.alpha.example.com.", "https://dev.alpha.example.com/"],
            ["Dev.Alpha.Example.Com.:8443", "https://dev.alpha.example.com:8443/"]]) {
            const res = await rawHttpsStatus(plane.caddy, "dev.alpha.example.com", h);
            expect(res.status, h).toBe(301);
            expect(res.location, h).toBe(to);
            expect(res.body, h).not.toContain("marker-of-alpha");
        }
    });
});

describe("what is served", () => {
    test("dotfiles, logs, tmp, cache, CLI, installer, bootstrap files, dumps and tenant storage are never served", async () => {
        const hidden = [
            "/.git/config", "/.env", "/administrator/logs/error.php", "/administrator/cache/x", "/tmp/index.html", "/cache/x",
            "/logs/x", "/cli/joomla.php", "/installation/", "/installation/index.php", "/mokowaas/Tenant.php", "/mokowaas/pages/404.html",
            "/configuration.php", "/defines.php", "/administrator/defines.php", "/api/defines.php", "/README.sql", "/backup.tar.gz",
            "/db.sql.gz", "/sites/alpha/logs/x", "/sites/alpha/cache/x", "/sites/alpha/sessions/x", "/sites/alpha/tmp/x", "/sites/",
        ];
        for (const p of hidden) {
            const r = await httpsGet(plane.caddy, "dev.alpha.example.com", p);
            expect(r.status, p).toBe(404);
            expect(r.body, p).not.toMatch(/secret log line|\[core\]|marker-of|dump/);
        }
    });

    test("static files are served by Caddy with security headers", async () => {
        const r = await httpsGet(plane.caddy, "dev.alpha.example.com", "/media/system/css/site.css");
        expect(r.status).toBe(200);
        expect(r.body).toBe("body{}\n");
        expect(r.headers).toMatchObject({
            "strict-transport-security": "max-age=31536000", "x-content-type-options": "nosniff",
            "x-frame-options": "SAMEORIGIN", "referrer-policy": "strict-origin-when-cross-origin",
        });
        expect(r.headers.server).toBeUndefined();
    });

    test("plain HTTP redirects to HTTPS", async () => {
        const r = await httpGet(plane.caddy.httpPort, "dev.alpha.example.com", "/a?b=1");
        expect(r.status).toBe(308);
        expect(r.headers.location).toBe(`https://dev.alpha.example.com:${plane.caddy.httpsPort}/a?b=1`);
    });
});

describe("media isolation", () => {
    const media = (t: string) => path.join(plane.root, "srv/mokowaas/tenants", t, "media");

    test("a file in tenant A's media is served on A's hosts and not on B's", async () => {
        fs.writeFileSync(path.join(media("alpha"), "images", "a-only.txt"), "alpha's file\n");
        fs.writeFileSync(path.join(media("beta"), "files", "b-only.txt"), "beta's file\n");
        const a = await httpsGet(plane.caddy, "dev.alpha.example.com", "/sites/alpha/media/images/a-only.txt");
        expect(a.status).toBe(200);
        expect(a.body).toBe("alpha's file\n");
        expect((await httpsGet(plane.caddy, "alpha.example.com", "/sites/alpha/media/images/a-only.txt")).body).toBe("alpha's file\n");
        for (const host of ["dev.beta.example.com", "beta.example.com"]) {
            const r = await httpsGet(plane.caddy, host, "/sites/alpha/media/images/a-only.txt");
            expect(r.status, host).toBe(404);
            expect(r.body).not.toContain("alpha's file");
        }
        expect((await httpsGet(plane.caddy, "dev.beta.example.com", "/sites/beta/media/files/b-only.txt")).body).toBe("beta's file\n");
        expect((await httpsGet(plane.caddy, "dev.alpha.example.com", "/sites/beta/media/files/b-only.txt")).status).toBe(404);
        // No way around it with dot segments or a Host header without its tenant's link.
        expect((await httpsGet(plane.caddy, "dev.beta.example.com", "/sites/beta/media/images/../../../alpha/media/images/a-only.txt")).status).toBe(404);
        expect((await rawHttpsStatus(plane.caddy, "dev.beta.example.com", "..", "/sites/x/media/images/a-only.txt")).status).not.toBe(200);
    });

    test("a provisioning tenant's media is not served yet", async () => {
        fs.writeFileSync(path.join(media("gamma"), "images", "g.txt"), "gamma\n");
        expect((await httpsGet(plane.caddy, "dev.gamma.example.com", "/sites/gamma/media/images/g.txt")).status).toBe(404);
    });
});
