/**
 * `mokowaas health` through the real web server a platform runs: Caddy with on-demand TLS (its
 * local CA as the platform config's caFile) and PHP-FPM with our bootstrap. Each host is asked
 * over HTTPS with its own name as SNI, and the certificate must verify against that CA. (The
 * tenants' databases hold only the stand-in's marker, so their db check is not this file's subject:
 * lifecycle-health.test.ts covers it with seeded tenants.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { check, mokowaas } from "../../devenv/server-cli";
import { createTenantDb, platformInit, putEntry, setState, startDataPlane, type DataPlane } from "../harness/data-plane";

let dir: string;
let plane: DataPlane;

/** Points the platform config at the HTTPS port of the test's Caddy and (optionally) its CA. */
function platformInitWith(caFile?: string): void {
    platformInit(plane.root, inject("mysql"), plane.fpmDir, ["--web-url", `https://127.0.0.1:${plane.caddy.httpsPort}`, ...(caFile ? ["--ca-file", caFile] : [])]);
}

function health(): { status: number; out: any } {
    const r = mokowaas(plane.root, ["health", "--json", "--no-hooks"]);
    return { status: r.status, out: JSON.parse(r.stdout) };
}

const checksOf = (out: any, tenant: string) => out.tenants.find((t: any) => t.tenant === tenant).checks;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-health-https-"));
    const db = inject("mysql");
    plane = await startDataPlane(dir, db);
    const live = await createTenantDb(db, "hlive", { online: true });
    const soon = await createTenantDb(db, "hsoon");
    for (const e of [live, soon]) check(putEntry(plane.root, e), `put ${e.tenant}`);
    setState(plane.root, "hlive", "ready");
    setState(plane.root, "hsoon", "ready");
});
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

test("with the CA configured, every host answers over verified HTTPS: online production 200, offline production 503 coming soon", () => {
    platformInitWith(plane.caddy.caFile);
    const { out } = health();
    const live = checksOf(out, "hlive");
    const soon = checksOf(out, "hsoon");
    expect(live.dev).toMatchObject({ ok: true });
    expect(live.production).toMatchObject({ ok: true });
    expect(soon.dev).toMatchObject({ ok: true });
    expect(soon.production).toMatchObject({ ok: true, detail: "offline: 503 coming soon" });
    expect(live.folders.ok).toBe(true);
});

test("without the CA, certificate verification fails and the host checks say so (nothing is trusted blindly)", () => {
    platformInitWith();
    const { status, out } = health();
    expect(status).toBe(1);
    const live = checksOf(out, "hlive");
    expect(live.dev.ok).toBe(false);
    expect(live.production.ok).toBe(false);
    expect(String(live.dev.detail)).toMatch(/certificate|SSL/i);
    // The folder check does not depend on the web server.
    expect(live.folders.ok).toBe(true);
});
