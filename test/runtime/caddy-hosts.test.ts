/**
 * Which site a request is for, through the shipped Caddyfile with real Caddy and PHP-FPM: a Host
 * that names another site than the connection's TLS SNI is refused (421) before PHP, without
 * refusing the same site's other forms (case, trailing dot, port); the platform's redirects keep
 * a non-default port; and none of the platform's own answers carries a `Status` header.
 */
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { httpsGet } from "../../devenv/caddy";
import { check, mokowaas } from "../../devenv/server-cli";
import { createTenantDb, putEntry, setState, startDataPlane, type DataPlane } from "../harness/data-plane";

let dir: string;
let plane: DataPlane;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-caddy-hosts-"));
    const db = inject("mysql");
    plane = await startDataPlane(dir, db);
    for (const t of ["alpha", "beta", "omega"]) {
        check(putEntry(plane.root, await createTenantDb(db, t, { online: true })), `put ${t}`);
        setState(plane.root, t, "ready");
    }
    check(putEntry(plane.root, await createTenantDb(db, "gamma")), "put gamma"); // provisioning
    check(putEntry(plane.root, await createTenantDb(db, "delta")), "put delta"); // ready, not online
    setState(plane.root, "delta", "ready");
});
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

/** Caddy's answer to a Host/SNI mismatch (runtime/caddy/Caddyfile). */
const MISDIRECTED = "Misdirected request: this connection was opened for another site";

interface Answer {
    status: number;
    /** Header names in lower case; a repeated header's values joined with ", ". */
    headers: Record<string, string>;
    body: string;
}

/** One HTTP/1.1 request over TLS with SNI `sni` and `host` sent byte for byte as the Host header. */
function raw(sni: string, host: string, urlPath = "/", method = "GET"): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: plane.caddy.httpsPort, servername: sni, ca: plane.caddy.ca }, () => {
            const body = method === "POST" ? "a=1" : "";
            socket.write(`${method} ${urlPath} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n`
                + `Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n${body}`);
        });
        const chunks: Buffer[] = [];
        socket.on("data", (d: Buffer) => chunks.push(d));
        socket.on("error", reject);
        socket.setTimeout(20_000, () => socket.destroy(new Error(`timeout: ${method} ${host}${urlPath}`)));
        socket.on("close", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const end = text.indexOf("\r\n\r\n");
            const [first = "", ...lines] = text.slice(0, end).split("\r\n");
            const headers: Record<string, string> = {};
            for (const line of lines) {
                const i = line.indexOf(":");
                const name = line.slice(0, i).trim().toLowerCase();
                headers[name] = headers[name] === undefined ? line.slice(i + 1).trim() : `${headers[name]}, ${line.slice(i + 1).trim()}`;
            }
            resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(first)?.[1] ?? 0), headers, body: text.slice(end + 4) });
        });
    });
}

/** Requests over ONE HTTP/2 connection opened with SNI `sni`, each with its own :authority. */
async function overH2(sni: string, authorities: string[], urlPath = "/"): Promise<Answer[]> {
    const session = http2.connect(`https://127.0.0.1:${plane.caddy.httpsPort}`, { servername: sni, ca: plane.caddy.ca });
    try {
        const answers: Answer[] = [];
        for (const authority of authorities) {
            answers.push(await new Promise<Answer>((resolve, reject) => {
                const req = session.request({ ":method": "GET", ":path": urlPath, ":authority": authority });
                let headers: Record<string, string> = {};
                const chunks: Buffer[] = [];
                req.on("response", (h) => {
                    headers = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));
                });
                req.on("data", (d: Buffer) => chunks.push(d));
                req.on("end", () => resolve({ status: Number(headers[":status"]), headers, body: Buffer.concat(chunks).toString("utf8") }));
                req.on("error", reject);
                req.setTimeout(20_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
                req.end();
            }));
        }
        return answers;
    } finally {
        session.close();
    }
}

describe("Host against TLS SNI", () => {
    test("a Host naming another site than the SNI gets 421 from Caddy, before PHP and before any other rule", async () => {
        const others = [
            "dev.beta.example.com", "dev.beta.example.com:8443", "DEV.BETA.EXAMPLE.COM", "dev.beta.example.com.", "beta.example.com",
            "www.beta.example.com", "alpha.example.com", "www.alpha.example.com", "dev.gamma.example.com", "stranger.example.com",
        ];
        // A page of the tenant, a hidden file, the API, a static file, a tenant's media: all refused alike.
        const paths = ["/", "/index.php?x=1", "/.env", "/api/index.php/v1/content", "/media/system/css/site.css", "/sites/beta/media/images/x.txt"];
        for (const host of others) {
            for (const p of paths) {
                for (const method of ["GET", "POST"]) {
                    const r = await raw("dev.alpha.example.com", host, p, method);
                    const what = `${method} ${host}${p}`;
                    expect(r.status, what).toBe(421);
                    expect(r.body, what).toBe(MISDIRECTED);
                    expect(r.headers["cache-control"], what).toBe("no-store");
                    expect(r.headers["strict-transport-security"], what).toBe("max-age=31536000");
                }
            }
        }
    });

    test("over HTTP/2, a connection opened for one tenant cannot fetch another's page", async () => {
        const [own, other, alias] = await overH2("dev.alpha.example.com", ["dev.alpha.example.com", "dev.beta.example.com", "www.beta.example.com"]);
        expect(own.status).toBe(200);
        expect(own.body).toContain("marker-of-alpha");
        for (const r of [other, alias]) {
            expect(r.status).toBe(421);
            expect(r.body).toBe(MISDIRECTED);
        }
    });

    test("the SNI's own host in another form (case, trailing dot, port) is no mismatch: served or sent to the normal form", async () => {
        const own = await raw("dev.alpha.example.com", "dev.alpha.example.com:8443");
        expect(own.status).toBe(200);
        expect(own.body).toContain("marker-of-alpha");
        for (const [host, to] of [["DEV.ALPHA.EXAMPLE.COM", "https://dev.alpha.example.com/"], ["dev.alpha.example.com.", "https://dev.alpha.example.com/"],
            ["Dev.Alpha.Example.Com.:8443", "https://dev.alpha.example.com:8443/"]]) {
            const r = await raw("dev.alpha.example.com", host);
            expect(r.status, host).toBe(301);
            expect(r.headers.location, host).toBe(to);
        }
        // An SNI in upper case names the same host.
        const upper = await raw("DEV.ALPHA.EXAMPLE.COM", "dev.alpha.example.com");
        expect(upper.status).toBe(200);
        expect(upper.body).toContain("marker-of-alpha");
    });
});

describe("redirects keep a non-default port", () => {
    test("an alias sends to its production host on the port it was asked on (HTTP/1.1 and HTTP/2)", async () => {
        for (const [host, to] of [
            ["www.alpha.example.com:8443", "https://alpha.example.com:8443/x?y=1"],
            ["WWW.Alpha.Example.Com.:8443", "https://alpha.example.com:8443/x?y=1"],
            ["www.alpha.example.com", "https://alpha.example.com/x?y=1"],
        ]) {
            const r = await raw("www.alpha.example.com", host, "/x?y=1");
            expect(r.status, host).toBe(301);
            expect(r.headers.location, host).toBe(to);
        }
        const [h2] = await overH2("www.alpha.example.com", ["www.alpha.example.com:8443"], "/x?y=1");
        expect(h2.status).toBe(301);
        expect(h2.headers.location).toBe("https://alpha.example.com:8443/x?y=1");
    });
});

describe("response headers", () => {
    test("none of the platform's own answers (400, 404, 421, 503 set-up and coming-soon, 301) carries a Status header", async () => {
        // A host whose tenant left after its certificate was issued: the certificate stays, the host map has no row (404).
        expect((await httpsGet(plane.caddy, "dev.omega.example.com")).status).toBe(200);
        check(mokowaas(plane.root, ["registry", "rm", "omega"]), "registry rm omega");

        const cases: { what: string; status: number; get: () => Promise<{ status: number; headers: Record<string, unknown>; body: string }> }[] = [
            { what: "400 malformed port", status: 400, get: () => httpsGet(plane.caddy, "dev.alpha.example.com:abc", "/", "dev.alpha.example.com") },
            { what: "404 unknown host", status: 404, get: () => httpsGet(plane.caddy, "dev.omega.example.com") },
            { what: "421 Host/SNI mismatch", status: 421, get: () => httpsGet(plane.caddy, "dev.beta.example.com", "/", "dev.alpha.example.com") },
            { what: "503 being set up", status: 503, get: () => httpsGet(plane.caddy, "dev.gamma.example.com") },
            { what: "503 coming soon", status: 503, get: () => httpsGet(plane.caddy, "delta.example.com") },
            { what: "301 alias", status: 301, get: () => httpsGet(plane.caddy, "www.alpha.example.com", "/x") },
            { what: "301 normal form", status: 301, get: () => httpsGet(plane.caddy, "DEV.ALPHA.EXAMPLE.COM", "/x", "dev.alpha.example.com") },
            { what: "421 host in another tenant's pool", status: 421, get: () => misrouted("dev.beta.example.com", "alpha") },
        ];
        for (const c of cases) {
            const r = await c.get();
            expect(r.status, c.what).toBe(c.status);
            expect(r.headers.status, c.what).toBeUndefined();
            expect(r.body, c.what).not.toContain("marker-of");
        }
        for (const r of await overH2("dev.alpha.example.com", ["DEV.ALPHA.EXAMPLE.COM", "dev.alpha.example.com:abc"])) {
            expect([301, 400]).toContain(r.status);
            expect(r.headers.status).toBeUndefined();
        }
    });
});

/** GET `host` while its per-host link points at `tenant`'s pool (a misrouted request), then puts the link back. */
async function misrouted(host: string, tenant: string) {
    const link = path.join(plane.root, "var/lib/mokowaas/fpm-hosts", `${host}.sock`);
    const right = fs.readlinkSync(link);
    const wrong = right.replace(/mokowaas-[a-z0-9-]+\.sock$/, `mokowaas-${tenant}.sock`);
    expect(wrong).not.toBe(right);
    fs.unlinkSync(link);
    fs.symlinkSync(wrong, link);
    try {
        return await httpsGet(plane.caddy, host);
    } finally {
        fs.unlinkSync(link);
        fs.symlinkSync(right, link);
    }
}
