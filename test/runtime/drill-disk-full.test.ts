/**
 * Drill (issue 14, "disk full"): the Borg repository on a small filesystem of its own (a 1 GiB
 * ext4 image, sparse, loop-mounted under the test's platform root and unmounted afterwards, also
 * when the test fails) that fills up. 1 GiB and not a few MB: after a failed transaction Borg wants
 * a whole segment (500 MiB) free before it commits again, which a smaller disk never has. Then the
 * same with the tenants' folders on a filesystem of their own that fills up. Then a backup fails with a clear error and leaves no archive behind, offboarding
 * refuses and removes nothing (hosts serving again, database, folders, entry and Unix user still
 * there), and health fails its platform disk check (JSON and Prometheus). After space is freed, the
 * same commands succeed: the re-run repairs everything. Figures in docs/reliability.md.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { archives, borgEnv } from "../../devenv/borg";
import { serverLayout } from "../../components/rules";
import { tenantAccountsOf } from "../harness/accounts";
import { joomlaRelease } from "../harness/joomla-package";
import { skipWithout } from "../harness/strict";
import { TestPlatform, type TenantInfo } from "./lifecycle-harness";

/** The small filesystem (a sparse image: only what is written takes room on the real disk). */
const FS_BYTES = 1 << 30;
/** health's threshold in this drill (platform init --disk-min-free-mb). */
const MIN_FREE_MB = 600;

/** Free bytes of the filesystem holding `dir`. */
function freeBytes(dir: string): number {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
}

/** Fills the filesystem of `file` to the last byte: allocated in one go (no data written), then the rest byte by block. */
function fill(file: string): void {
    const room = freeBytes(path.dirname(file));
    const f = spawnSync("fallocate", ["-l", String(room - (8 << 20)), file], { encoding: "utf8" });
    if (f.status !== 0) throw new Error(`fallocate: ${f.stderr}`);
    const chunk = crypto.randomBytes(1 << 16);
    const fd = fs.openSync(path.join(path.dirname(file), "filler-rest"), "w");
    try {
        for (;;) {
            const room = freeBytes(path.dirname(file));
            if (room === 0) break;
            try {
                fs.writeSync(fd, chunk, 0, Math.min(chunk.length, room));
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code === "ENOSPC") break;
                throw e;
            }
        }
    } finally {
        fs.closeSync(fd);
    }
}

/** A sparse ext4 image of FS_BYTES loop-mounted at `at` (no blocks reserved for root: full means full). */
function mountImage(image: string, at: string): void {
    fs.mkdirSync(at, { recursive: true });
    fs.writeFileSync(image, "");
    fs.truncateSync(image, FS_BYTES);
    const mk = spawnSync("mkfs.ext4", ["-q", "-m", "0", image], { encoding: "utf8" });
    if (mk.status !== 0) throw new Error(`mkfs.ext4: ${mk.stderr}`);
    const m = spawnSync("mount", ["-o", "loop", image, at], { encoding: "utf8" });
    if (m.status !== 0) throw new Error(`cannot loop-mount ${image} at ${at} (the drill runs as root): ${m.stderr}`);
}

/** What the drill needs to make its filesystems. */
const missing = [
    process.getuid?.() === 0 ? undefined : "root (the drill mounts filesystems)",
    spawnSync("mkfs.ext4", ["-V"]).status === 0 ? undefined : "mkfs.ext4 (e2fsprogs)",
    fs.existsSync("/dev/loop-control") ? undefined : "loop devices (/dev/loop-control)",
];

describe.skipIf(skipWithout("disk-full drill (Borg repository and tenants on small filesystems)", missing))("drill: disk full under the Borg repository, then under the tenants' folders", () => {
    let p: TestPlatform;
    let mount: string;
    const mounted: string[] = [];
    const tenants: Record<string, TenantInfo> = {};
    const filler = () => path.join(mount, "filler");
    let before: string[] = [];

    const tables = async (t: TenantInfo) => {
        const c = await p.query(t.database);
        try {
            const [rows] = await c.query<any[]>("SHOW TABLES");
            return rows.length;
        } finally {
            await c.end();
        }
    };
    const health = () => {
        const prom = path.join(p.root, "health.prom");
        const r = p.cli(["health", "--json", "--no-hooks", "--prometheus", prom]);
        return { status: r.status, out: JSON.parse(r.stdout), prom: fs.readFileSync(prom, "utf8") };
    };
    const borgCheck = () => spawnSync("borg", ["check", p.repo], {
        encoding: "utf8", env: { ...process.env, ...borgEnv(p.root), BORG_PASSCOMMAND: `cat ${serverLayout(p.root).borgPassphrase}` },
    });

    beforeAll(async () => {
        p = new TestPlatform(inject("mysql"), ["--disk-min-free-mb", String(MIN_FREE_MB)]);
        // The repository's parent becomes the small filesystem (the repository itself is made by the first backup).
        mount = path.dirname(p.repo);
        mountImage(path.join(p.root, "borg-fs.img"), mount);
        mounted.push(mount);
        fs.chmodSync(mount, 0o700);
        // The tenants' folders too, before any tenant has one (srv/mokowaas/tenants is 0711 root).
        const tenantsDir = path.dirname(p.tenantDir("x"));
        mountImage(path.join(p.root, "tenants-fs.img"), tenantsDir);
        mounted.push(tenantsDir);
        fs.chmodSync(tenantsDir, 0o711);
        const release = joomlaRelease("6.0.4", path.join(p.root, "release"));
        expect(p.cli(["blueprint", "create", "--release", release, "--database", p.blueprintDb]).status).toBe(0);
        for (const name of ["acme", "beta"]) {
            tenants[name] = await p.addTenant(name, { online: true });
            const s = p.seed(tenants[name]);
            expect(s.status, s.stderr).toBe(0);
        }
    });
    afterAll(async () => {
        // Unmounted first: cleanup removes the root, images included.
        for (const m of mounted.reverse()) {
            // Lazy: a borg still holding a file (a test that failed half-way) must not keep the mount.
            const u = spawnSync("umount", ["-l", m], { encoding: "utf8" });
            if (u.status !== 0) console.error(`umount ${m}: ${u.stderr}`);
        }
        await p?.cleanup();
    });

    it("with room: both tenants archived, health's disk check passes", () => {
        const r = p.cli(["backup", "--all"]);
        expect(r.status, r.stderr).toBe(0);
        before = archives(p.root, p.repo);
        expect(before).toHaveLength(2);
        const h = health();
        expect(h.out.platform.disk).toMatchObject({ ok: true });
        expect(h.out.platform.disk.filesystems.find((f: any) => f.holds === "borg")).toMatchObject({ folder: p.repo, minFreeBytes: MIN_FREE_MB * 1048576 });
        expect(h.prom).toContain('mokowaas_platform_check_ok{check="disk"} 1');
        expect(h.prom).toMatch(new RegExp(`mokowaas_disk_free_bytes\\{holds="borg",folder="${p.repo}"\\} [1-9]`));
        for (const t of h.out.tenants) expect(t.checks.backup, t.tenant).toMatchObject({ ok: true });
    });

    it("full: backup fails with a clear error and leaves no archive; the repository stays consistent", () => {
        // New content that cannot deduplicate against the first archives.
        fs.writeFileSync(path.join(p.tenantDir("acme"), "media/images/photo.bin"), crypto.randomBytes(2 << 20));
        fill(filler());
        expect(freeBytes(mount)).toBe(0);

        const one = p.cli(["backup", "acme"]);
        expect(one.status).toBe(1);
        expect(one.stderr).toContain("acme: backup FAILED: borg create failed");
        expect(one.stderr).toContain(`no space left on device for the Borg repository (${p.repo}: 0.0 MB free of`);
        expect(one.stderr).not.toContain("Traceback");
        const all = p.cli(["backup", "--all"]);
        expect(all.status).toBe(1);
        expect(all.stderr).toMatch(/acme: backup FAILED: .*no space left on device/);
        expect(all.stderr).toMatch(/beta: backup FAILED: .*no space left on device/);
        // The archive list itself cannot be read while the disk is full (borg writes its lock): checked once space is back.
        expect(fs.existsSync(path.join(p.tenantDir("acme"), ".backup"))).toBe(false);
    });

    it("full: offboard refuses and removes nothing; hosts, database, folders, entry and user stay", async () => {
        const hostsBefore = p.hostMapText();
        const tablesBefore = await tables(tenants.acme);
        expect(tablesBefore).toBeGreaterThan(50);
        const users = tenantAccountsOf(p.root);
        expect(users.some((u) => u.endsWith("-acme"))).toBe(true);

        const r = p.cli(["offboard", "acme"]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/acme: offboarding FAILED, nothing removed, hosts serving again \(state ready\): .*no space left on device/);
        expect(p.entry("acme")?.state).toBe("ready");
        expect(p.hostMapText()).toBe(hostsBefore);
        expect(fs.existsSync(path.join(p.tenantDir("acme"), "media/images/photo.bin"))).toBe(true);
        expect(await tables(tenants.acme)).toBe(tablesBefore);
        expect(tenantAccountsOf(p.root)).toEqual(users);
    });

    it("full: health fails its platform disk check, in JSON and Prometheus", () => {
        const h = health();
        expect(h.status).toBe(1);
        expect(h.out.ok).toBe(false);
        expect(h.out.platform.disk.ok).toBe(false);
        expect(h.out.platform.disk.detail).toContain(`low disk space: borg: ${p.repo}: 0.0 MB free of`);
        expect(h.prom).toContain('mokowaas_platform_check_ok{check="disk"} 0');
        expect(h.prom).toContain(`mokowaas_disk_free_bytes{holds="borg",folder="${p.repo}"} 0`);
        // And each ready tenant's backup check: the archives cannot even be listed.
        for (const t of h.out.tenants) {
            expect(t.checks.backup.ok, t.tenant).toBe(false);
            expect(t.checks.backup.detail, t.tenant).toMatch(/^cannot list archives: borg list failed .*no space left on device/);
        }
        expect(h.prom).toContain('mokowaas_check_ok{tenant="acme",check="backup"} 0');
        // The tenants' filesystem is the roomy one.
        expect(h.out.platform.disk.filesystems.find((f: any) => f.holds === "tenants").freeBytes).toBeGreaterThan(MIN_FREE_MB * 1048576);
    });

    it("space freed: no archive was left by the failed runs, the repository is consistent; the re-run backs up and offboards", () => {
        fs.rmSync(filler());
        fs.rmSync(path.join(mount, "filler-rest"));
        expect(archives(p.root, p.repo)).toEqual(before);
        const check = borgCheck();
        expect(check.status, check.stderr).toBe(0);
        const b = p.cli(["backup", "--all"]);
        expect(b.status, b.stderr).toBe(0);
        const o = p.cli(["offboard", "acme"]);
        expect(o.status, o.stderr).toBe(0);
        expect(archives(p.root, p.repo).filter((a) => a.startsWith("acme-final-"))).toHaveLength(1);
        expect(p.entry("acme")).toBeUndefined();
        expect(fs.existsSync(p.tenantDir("acme"))).toBe(false);
        expect(p.hostMapText()).not.toContain("acme.example.test");
        expect(tenantAccountsOf(p.root).some((u) => u.endsWith("-acme"))).toBe(false);
        expect(health().out.platform.disk.ok).toBe(true);
        expect(borgCheck().status).toBe(0);
    });

    it("tenants' filesystem full: beta's backup fails naming it, offboard refuses, health fails; freed: the re-run archives", async () => {
        const tenantsDir = path.dirname(p.tenantDir("beta"));
        const archivesBefore = archives(p.root, p.repo);
        const hostsBefore = p.hostMapText();
        fill(path.join(tenantsDir, "filler"));
        expect(freeBytes(tenantsDir)).toBe(0);

        const b = p.cli(["backup", "beta"]);
        expect(b.status).toBe(1);
        expect(b.stderr).toMatch(new RegExp(`beta: backup FAILED: (cannot create ${p.tenantDir("beta")}/\\.backup: No space left on device|no space left on device for the dump in the tenant folder) \\(${p.tenantDir("beta")}: 0\\.0 MB free of`));
        const o = p.cli(["offboard", "beta"]);
        expect(o.status).toBe(1);
        expect(o.stderr).toContain("beta: offboarding FAILED, nothing removed, hosts serving again (state ready)");
        expect(p.hostMapText()).toBe(hostsBefore);
        expect(await tables(tenants.beta)).toBeGreaterThan(50);
        const h = health();
        expect(h.status).toBe(1);
        expect(h.out.platform.disk.detail).toContain(`low disk space: tenants: ${tenantsDir}: 0.0 MB free of`);
        expect(h.out.platform.disk.detail).not.toContain("borg:");
        expect(archives(p.root, p.repo)).toEqual(archivesBefore);

        fs.rmSync(path.join(tenantsDir, "filler"));
        fs.rmSync(path.join(tenantsDir, "filler-rest"));
        expect(fs.existsSync(path.join(p.tenantDir("beta"), ".backup"))).toBe(false);
        const again = p.cli(["backup", "beta"]);
        expect(again.status, again.stderr).toBe(0);
        expect(archives(p.root, p.repo)).toHaveLength(archivesBefore.length + 1);
        expect(health().out.platform.disk.ok).toBe(true);
    });
});
