/**
 * Off-site backups and restore drills, all real: a second sshd on 127.0.0.1 is the backup host,
 * its authorized_keys lets the platform's key run only `borg serve --append-only
 * --restrict-to-repository <repo>`; real Borg 1.2, real MySQL, real Joomla 6.0.4 tenants.
 * Checked: archives travel over SSH with the pinned host key only; the server's key cannot
 * destroy archives (a `borg delete` through it is kept in the repository's transactions and
 * rolled back on the backup host); `mokowaas drill` restores into a scratch database and
 * folder, checks the tables and renders the home page, reports to health, Prometheus and the
 * failure hook, and never leaves scratch behind.
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../devenv/ports";
import { makeTraversable } from "../../devenv/server-cli";
import { sshdHostKey, startSshd } from "../../devenv/sshd";
import { phpBin } from "../../devenv/toolchain";
import { joomlaRelease } from "../harness/joomla-package";
import { CLI, TestPlatform, type TenantInfo } from "./lifecycle-harness";

interface Hit {
    body: Record<string, unknown>;
}

describe("off-site Borg over SSH (append-only key) and restore drills", () => {
    let tmp: string;
    let p: TestPlatform;
    let acme: TenantInfo;
    let sshdPid = 0;
    let port = 0;
    /** The repository's folder on the backup host, and its URL for the platform. */
    let repo: string;
    let url: string;
    let serverKey: string;
    let hostDir: string;
    const hookHits: Hit[] = [];
    let hooks: http.Server;

    /** The backup host's own view of its repository (full local access, its own Borg base folder). */
    const hostBorg = (args: string[]) => {
        const r = spawnSync("borg", args, {
            encoding: "utf8",
            env: { ...process.env, BORG_BASE_DIR: path.join(tmp, "host-borg-home"), BORG_PASSCOMMAND: `cat ${path.join(p.root, "etc/mokowaas/borg.passphrase")}`, BORG_EXIT_CODES: "legacy" },
        });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    /** borg as the platform server runs it (its key, its pinned known_hosts, its Borg base folder). */
    const serverBorgEnv = () => {
        const rsh = ["ssh", "-F", "none", "-i", serverKey, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", `UserKnownHostsFile=${path.join(p.root, "etc/mokowaas/borg.known_hosts")}`, "-o", "GlobalKnownHostsFile=/dev/null"].join(" ");
        return p.env({ BORG_RSH: rsh, BORG_PASSCOMMAND: `cat ${path.join(p.root, "etc/mokowaas/borg.passphrase")}` });
    };
    const serverBorg = (args: string[]) => {
        const r = spawnSync("borg", args, { encoding: "utf8", env: serverBorgEnv() });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const hostArchives = () => {
        const r = hostBorg(["list", "--short", repo]);
        expect(r.status, r.stderr).toBe(0);
        return r.stdout.split("\n").filter(Boolean);
    };
    const scratchDatabases = async () => {
        const c = await p.query("mysql");
        try {
            const [rows] = await c.query<any[]>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mokowaas\\_drill\\_%'");
            const [users] = await c.query<any[]>("SELECT User AS n FROM mysql.user WHERE User LIKE 'mokowaas\\_drill\\_%'");
            return [...rows, ...users].map((r) => String(r.n));
        } finally {
            await c.end();
        }
    };
    const drillDir = () => path.join(p.root, "var/lib/mokowaas/drill");
    const scratchFolders = () => (fs.existsSync(drillDir()) ? fs.readdirSync(drillDir()) : []);
    /** What the live tenant holds, to show a drill never touches it. */
    const liveState = async () => {
        const c = await p.query(acme.database);
        try {
            const [tables] = await c.query<any[]>("SELECT TABLE_NAME AS t, UPDATE_TIME AS u FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1");
            const [users] = await c.query<any[]>(`SELECT name FROM ${acme.prefix}users`);
            const media = fs.readdirSync(path.join(p.tenantDir("acme"), "media/images")).sort();
            return { tables: tables.map((t: any) => t.t), users, media };
        } finally {
            await c.end();
        }
    };
    const health = async () => {
        const prom = path.join(p.root, "metrics.prom");
        const r = await p.cliAsync(["health", "--json", "--no-hooks", "--prometheus", prom]);
        return { out: JSON.parse(r.stdout), prom: fs.readFileSync(prom, "utf8"), status: r.status };
    };

    beforeAll(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-offsite-"));
        hostDir = path.join(tmp, "backup-host");
        repo = path.join(hostDir, "repos/platform");
        fs.mkdirSync(path.dirname(repo), { recursive: true });
        serverKey = path.join(tmp, "server-key");
        const operatorKey = path.join(tmp, "operator-key");
        for (const k of [serverKey, operatorKey]) {
            const g = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", path.basename(k), "-f", k], { encoding: "utf8" });
            expect(g.status, g.stderr).toBe(0);
        }
        const pub = (k: string) => fs.readFileSync(`${k}.pub`, "utf8").trim();
        // As docs/reliability.md tells the backup host's operator to write it (plus a Borg base folder of its own, for the test).
        const serve = `BORG_BASE_DIR=${path.join(hostDir, "serve-home")} borg serve`;
        port = await freePort();
        const sshd = await startSshd({
            dir: path.join(hostDir, "sshd"), port, clientKey: operatorKey,
            authorizedKeys: [
                `command="${serve} --append-only --restrict-to-repository ${repo}",restrict ${pub(serverKey)}`,
                `command="${serve} --restrict-to-repository ${repo}",restrict ${pub(operatorKey)}`,
            ],
        });
        sshdPid = sshd.pid;
        url = `ssh://root@127.0.0.1:${port}${repo}`;
        hooks = await new Promise<http.Server>((resolve) => {
            const s = http.createServer((req, res) => {
                let body = "";
                req.on("data", (d) => (body += d));
                req.on("end", () => {
                    hookHits.push({ body: JSON.parse(body) });
                    res.writeHead(200).end("ok");
                });
            });
            s.listen(0, "127.0.0.1", () => resolve(s));
        });
        p = new TestPlatform(inject("mysql"), [
            "--borg-repo", url, "--borg-ssh-key", serverKey, "--borg-host-key", sshdHostKey(path.join(hostDir, "sshd")),
            "--hook-failure", `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/failure`, "--drill-max-age-hours", "192",
        ]);
        // The served release, as the platform lays it down; tenants' users must reach it and the drill's scratch root.
        makeTraversable(p.root);
        const release = path.join(p.root, "srv/mokowaas/releases/joomla-6.0.4");
        joomlaRelease("6.0.4", release, { installer: false });
        joomlaRelease("6.0.4", `${release}.dist`);
        expect(p.cli(["release", "bootstrap", release]).status).toBe(0);
        fs.symlinkSync("releases/joomla-6.0.4", path.join(p.root, "srv/mokowaas/current"));
        const bp = p.cli(["blueprint", "create", "--release", `${release}.dist`, "--database", p.blueprintDb]);
        expect(bp.status, bp.stderr).toBe(0);
        acme = await p.addTenant("acme", { online: true });
        expect(p.seed(acme).status).toBe(0);
        fs.writeFileSync(path.join(p.tenantDir("acme"), "media/images/logo.txt"), "acme logo");
    }, 600_000);

    afterAll(async () => {
        hooks?.close();
        if (sshdPid) process.kill(sshdPid, "SIGTERM");
        await p?.cleanup();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("refuses an ssh:// repository without a pinned host key, and a backup host whose key is not the pinned one", () => {
        const noPin = p.cli(["platform", "init", "--mysql-host", p.db.host, "--mysql-port", String(p.db.port), "--mysql-user", p.db.adminUser,
            "--php-user", "nobody", "--borg-repo", url, "--borg-ssh-key", serverKey], p.db.adminPassword);
        expect(noPin.status).toBe(3);
        expect(noPin.stderr).toMatch(/--borg-host-key/);
        // The pinned key is another host's: ssh refuses, nothing is learnt, nothing is archived.
        const knownHosts = path.join(p.root, "etc/mokowaas/borg.known_hosts");
        const good = fs.readFileSync(knownHosts, "utf8");
        const otherKey = fs.readFileSync(`${serverKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        fs.writeFileSync(knownHosts, `[127.0.0.1]:${port} ${otherKey}\n`);
        try {
            const r = p.cli(["backup", "acme"]);
            expect(r.status).toBe(1);
            // ssh's own words when they reach borg's output in time, else the hint Borg.php adds.
            expect(r.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|is its host key the one in .*borg\.known_hosts/);
            expect(fs.readFileSync(knownHosts, "utf8")).toBe(`[127.0.0.1]:${port} ${otherKey}\n`);
            expect(fs.existsSync(repo)).toBe(false);
        } finally {
            fs.writeFileSync(knownHosts, good);
        }
    });

    it("backs up over SSH to the backup host: the repository is created there, nothing is kept on the server", () => {
        const r = p.cli(["backup", "acme"]);
        expect(r.status, r.stderr).toBe(0);
        const name = r.stdout.match(/archived as (\S+)/)![1];
        expect(fs.existsSync(path.join(repo, "config"))).toBe(true);
        expect(hostArchives()).toEqual([name]);
        expect(fs.existsSync(path.join(p.root, "var/backups/mokowaas/borg"))).toBe(false);
        const list = p.cli(["backups", "acme", "--json"]);
        expect(JSON.parse(list.stdout)).toMatchObject([{ archive: name, tag: null }]);
        // The manifest counts the tables (for the drill).
        const info = hostBorg(["extract", "--stdout", `${repo}::${name}`, ".backup/manifest.json"]);
        expect(JSON.parse(info.stdout).db.tables).toBeGreaterThan(50);
    });

    it("the server's key cannot destroy archives: its prune and deletes are kept in the transaction log and rolled back on the backup host", () => {
        const second = p.cli(["backup", "acme"]);
        expect(second.status, second.stderr).toBe(0);
        const before = hostArchives();
        expect(before).toHaveLength(2);
        const victim = before[0];
        const segments = () => spawnSync("find", [path.join(repo, "data"), "-type", "f"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort();
        const segmentsBefore = segments();
        const transactions = () => fs.readFileSync(path.join(repo, "transactions"), "utf8").trim().split("\n");
        const goodTransaction = Number(/^transaction (\d+),/.exec(transactions().at(-1)!)![1]);

        // The platform's own nightly prune through the append-only key: two archives of one day, keep-daily
        // keeps the newer; then what an intruder on the server could do with its key: delete the rest, compact.
        p.putEntry(acme, { online: true, keep: { daily: 1, weekly: 0, monthly: 0 } });
        const prune = p.cli(["prune", "acme"]);
        expect(prune.status, prune.stderr).toBe(0);
        expect(hostArchives()).toEqual([before[1]]);
        const del = serverBorg(["delete", `${url}::${before[1]}`]);
        expect(del.status, del.stderr).toBe(0);
        const compact = serverBorg(["compact", url]);
        expect(compact.status, compact.stderr).toBe(0);
        // Borg shows them gone, but every segment file is still there, untouched, and each delete is a logged transaction.
        expect(hostArchives()).toEqual([]);
        expect(segments().filter((s) => segmentsBefore.includes(s))).toEqual(segmentsBefore);
        expect(transactions().length).toBeGreaterThan(1);
        expect(Number(/^transaction (\d+),/.exec(transactions().at(-1)!)![1])).toBeGreaterThan(goodTransaction);

        // Borg's documented rollback, on the backup host: drop the segments newer than the last good
        // transaction and the index files, which borg rebuilds from the segments.
        for (const s of segments()) if (Number(path.basename(s)) > goodTransaction) fs.rmSync(s);
        for (const f of fs.readdirSync(repo)) if (/^(index|hints|integrity)\.\d+$/.test(f)) fs.rmSync(path.join(repo, f));
        expect(hostArchives()).toEqual(before);
        const check = hostBorg(["check", "--verify-data", `${repo}::${victim}`]);
        expect(check.status, check.stderr).toBe(0);
        const extract = hostBorg(["extract", "--stdout", `${repo}::${victim}`, "media/images/logo.txt"]);
        expect(extract.stdout).toBe("acme logo");
    });

    it("a drill restores the newest archive into a scratch copy, checks tables and home page, never touches the live tenant, and cleans up", async () => {
        // The rollback left the server's Borg cache and security records ahead of the repository:
        // the documented step after a rollback is to drop them on the server (docs/reliability.md).
        const id = /^id = ([0-9a-f]+)$/m.exec(fs.readFileSync(path.join(repo, "config"), "utf8"))![1];
        for (const d of [".cache/borg", ".config/borg/security"]) {
            expect(fs.existsSync(path.join(p.root, "borg-home", d, id))).toBe(true);
            fs.rmSync(path.join(p.root, "borg-home", d, id), { recursive: true });
        }
        fs.writeFileSync(path.join(p.tenantDir("acme"), "media/images/after.txt"), "after the backups");
        const live = await liveState();
        const r = await p.cliAsync(["drill", "--json"]);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out).toMatchObject({ ok: true, tenant: "acme", cleanup: "ok" });
        expect(out.archive).toBe(hostArchives().at(-1));
        expect(out.checks.tables.ok).toBe(true);
        expect(out.checks.tables.found).toBe(out.checks.tables.expected);
        expect(out.checks.home).toMatchObject({ ok: true, status: 200 });
        console.info(`drill of ${out.archive}: ${out.seconds} s (${out.checks.tables.detail}; ${out.checks.home.detail})`);
        expect(await liveState()).toEqual(live);
        expect(await scratchDatabases()).toEqual([]);
        expect(scratchFolders()).toEqual([]);
        const h = await health();
        expect(h.out.platform.drill).toMatchObject({ ok: true });
        expect(h.prom).toMatch(/^mokowaas_drill_ok 1$/m);
        expect(h.prom).toMatch(/^mokowaas_drill_last_run_timestamp_seconds \d+$/m);
    }, 300_000);

    it("a drill killed half-way leaves scratch behind; the next drill removes it first and passes", async () => {
        const child = spawn(phpBin(), [CLI, "drill", "--tenant", "acme", "--no-hooks"], { env: p.env(), detached: true, stdio: "ignore" });
        const exited = new Promise((resolve) => child.on("exit", resolve));
        // Killed (the whole process group: PHP, borg, mysql) once its scratch database exists.
        const until = Date.now() + 120_000;
        while ((await scratchDatabases()).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        process.kill(-child.pid!, "SIGKILL");
        await exited;
        expect((await scratchDatabases()).length).toBeGreaterThan(0);
        expect(scratchFolders()).toHaveLength(1);
        const r = await p.cliAsync(["drill", "--tenant", "acme", "--json", "--no-hooks"]);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, cleanup: "ok" });
        expect(await scratchDatabases()).toEqual([]);
        expect(scratchFolders()).toEqual([]);
    }, 300_000);

    it("a drill fails when the restored database has fewer tables than the archive's manifest counted", async () => {
        // An archive whose dump lost a table: the newest one's files, its manifest counting one table more.
        const work = fs.mkdtempSync(path.join(tmp, "short-"));
        const newest = hostArchives().at(-1)!;
        const x = spawnSync("borg", ["extract", `${repo}::${newest}`, ".backup"], {
            cwd: work, encoding: "utf8",
            env: { ...process.env, BORG_BASE_DIR: path.join(tmp, "host-borg-home"), BORG_PASSCOMMAND: `cat ${path.join(p.root, "etc/mokowaas/borg.passphrase")}` },
        });
        expect(x.status, x.stderr).toBe(0);
        const manifestFile = path.join(work, ".backup/manifest.json");
        const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
        manifest.db.tables += 1;
        fs.writeFileSync(manifestFile, JSON.stringify(manifest));
        const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/(\.\d{3})Z$/, "$1Z");
        const c = spawnSync("borg", ["create", "--comment", "mokowaas tenant=acme", `${url}::acme-${stamp}`, ".backup"], {
            cwd: work, encoding: "utf8", env: serverBorgEnv(),
        });
        expect(c.status, c.stderr).toBe(0);
        const r = await p.cliAsync(["drill", "--tenant", "acme", "--json", "--no-hooks"]);
        expect(r.status, r.stdout + r.stderr).toBe(1);
        const out = JSON.parse(r.stdout);
        expect(out.archive).toBe(`acme-${stamp}`);
        expect(out.checks.tables, r.stdout).toMatchObject({ ok: false, found: manifest.db.tables - 1, expected: manifest.db.tables });
        expect(out.checks.home).toBeUndefined();
        expect(out.cleanup).toBe("ok");
        expect(await scratchDatabases()).toEqual([]);
        expect(scratchFolders()).toEqual([]);
    }, 300_000);

    it("a drill of a damaged archive fails: reported by health, Prometheus and the failure hook; scratch removed all the same", async () => {
        // Damage the backup host's copy: flip bytes in the middle of every data segment.
        const segments = spawnSync("find", [path.join(repo, "data"), "-type", "f", "-size", "+4k"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
        expect(segments.length).toBeGreaterThan(0);
        for (const s of segments) {
            const fd = fs.openSync(s, "r+");
            const size = fs.fstatSync(fd).size;
            for (let off = 64; off < size; off += 4096) fs.writeSync(fd, crypto.randomBytes(16), 0, 16, off);
            fs.closeSync(fd);
        }
        hookHits.length = 0;
        const r = await p.cliAsync(["drill", "--tenant", "acme", "--json"]);
        expect(r.status, r.stdout + r.stderr).toBe(1);
        const out = JSON.parse(r.stdout);
        expect(out.ok).toBe(false);
        expect(out.checks.extract.ok).toBe(false);
        expect(out.cleanup).toBe("ok");
        expect(await scratchDatabases()).toEqual([]);
        expect(scratchFolders()).toEqual([]);
        expect(hookHits.map((h) => h.body)).toMatchObject([{ event: "drill", ok: false, tenant: "acme" }]);
        const h = await health();
        expect(h.status).toBe(1);
        expect(h.out.ok).toBe(false);
        expect(h.out.platform.drill.ok).toBe(false);
        expect(h.out.platform.drill.detail).toMatch(/failed/);
        expect(h.prom).toMatch(/^mokowaas_drill_ok 0$/m);
    }, 300_000);

    it("removes what a killed drill left behind before it runs; a missing or old drill result fails health", async () => {
        const c = await p.query("mysql");
        await c.query("CREATE DATABASE mokowaas_drill_deadbeef");
        await c.query("CREATE USER 'mokowaas_drill_deadbeef'@'127.0.0.1' IDENTIFIED BY 'x-Left-0ver'");
        await c.query("CREATE USER 'mokowaas_drill_0ddba11'@'localhost' IDENTIFIED BY 'x-Left-0ver'");
        await c.end();
        fs.mkdirSync(path.join(drillDir(), "deadbeef/archive/.backup"), { recursive: true });
        fs.writeFileSync(path.join(drillDir(), "deadbeef/archive/.backup/db.sql"), "-- left over");
        await p.cliAsync(["drill", "--tenant", "acme", "--no-hooks"]);
        expect(await scratchDatabases()).toEqual([]);
        expect(scratchFolders()).toEqual([]);

        const result = path.join(p.root, "var/lib/mokowaas/drill.json");
        fs.rmSync(result);
        let h = await health();
        expect(h.out.platform.drill).toMatchObject({ ok: false, detail: expect.stringMatching(/no restore drill/) });
        fs.writeFileSync(result, JSON.stringify({ ok: true, detail: "fine", finishedAt: "2026-01-01T00:00:00Z" }));
        h = await health();
        expect(h.out.platform.drill).toMatchObject({ ok: false, detail: expect.stringMatching(/old/) });
    }, 300_000);
});
