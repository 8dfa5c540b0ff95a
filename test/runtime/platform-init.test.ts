/**
 * `mokowaas platform init|show`: the platform config the other verbs read. The MySQL admin
 * password arrives on stdin only and is readable by root and the PHP user's group alone.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mokowaas } from "../../devenv/server-cli";

const roots: string[] = [];
function freshRoot(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-platform-"));
    roots.push(root);
    return root;
}
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

// The backup host's key (a real Ed25519 public key) and key files for the off-site options.
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINtTzvPwGMiD4G51EOacWgigemwIZ2BwE85XT7AyeGJj";
const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-platform-keys-"));
const KEY_FILE = path.join(keyDir, "borg-key");
const OPEN_KEY_FILE = path.join(keyDir, "open-key");
fs.writeFileSync(KEY_FILE, "key\n", { mode: 0o600 });
fs.writeFileSync(OPEN_KEY_FILE, "key\n", { mode: 0o644 });
afterAll(() => fs.rmSync(keyDir, { recursive: true, force: true }));

const base = ["platform", "init", "--mysql-host", "127.0.0.1", "--mysql-port", "3306", "--mysql-user", "mokowaas_admin", "--php-user", "www-data"];

describe("platform init", () => {
    it("writes the config with the password from stdin, 0600 root (nothing on the request path reads it); show leaves the password out", () => {
        const root = freshRoot();
        const r = mokowaas(root, [...base, "--blueprint-database", "bp_main", "--backup-max-age-hours", "30", "--hook-failure", "https://hooks.example.com/f"], "s3cret-Admin-pw\n");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const file = path.join(root, "etc/mokowaas/platform.php");
        const st = fs.statSync(file);
        expect(st.mode & 0o777).toBe(0o600);
        expect(st.uid).toBe(0);
        expect(st.gid).toBe(0);
        expect(fs.readFileSync(file, "utf8")).toContain("'password' => 's3cret-Admin-pw'");
        const shown = JSON.parse(mokowaas(root, ["platform", "show"]).stdout);
        expect(shown.mysql).toEqual({ host: "127.0.0.1", port: 3306, socket: null, user: "mokowaas_admin" });
        expect(shown).toMatchObject({ phpUser: "www-data", blueprintDatabase: "bp_main", backupMaxAgeHours: 30, hooks: { success: [], failure: ["https://hooks.example.com/f"] } });
        expect(JSON.stringify(shown)).not.toContain("s3cret");
    });

    it("creates missing parents traversable like a server's /etc (0755), only etc/mokowaas itself closed (0750)", () => {
        const root = freshRoot();
        fs.chmodSync(root, 0o755);
        expect(mokowaas(root, base, "pw\n").status).toBe(0);
        expect(fs.statSync(path.join(root, "etc")).mode & 0o777).toBe(0o755);
        expect(fs.statSync(path.join(root, "etc/mokowaas")).mode & 0o777).toBe(0o750);
        // What the PHP user (PHP-FPM's workers) must be able to do: reach the registry under etc/mokowaas.
        const r = spawnSync("setpriv", ["--reuid=www-data", "--regid=www-data", "--clear-groups", "test", "-x", path.join(root, "etc")]);
        expect(r.status).toBe(0);
    });

    it("leaves optional keys out when not given, so the verbs use their defaults", () => {
        const root = freshRoot();
        expect(mokowaas(root, base, "pw\n").status).toBe(0);
        const shown = JSON.parse(mokowaas(root, ["platform", "show"]).stdout);
        expect(shown).not.toHaveProperty("blueprintDatabase");
        expect(shown).not.toHaveProperty("backupMaxAgeHours");
        expect(shown.borgRepo).toBe(`${root}/var/backups/mokowaas/borg`);
    });

    it.each([
        [["--mysql-port", "99999"], 3, "--mysql-port must be a TCP port number"],
        [["--php-user", "no-such-user-here"], 3, "is not a user on this server"],
        [["--hook-success", "ftp://x"], 3, "must be an http(s) URL"],
        [["--blueprint-database", "x;drop"], 3, "must be a database name"],
        [["--backup-max-age-hours", "-1"], 3, "must be a positive number of hours"],
        [["--mysql-pasword", "x"], 2, "unknown option --mysql-pasword"],
        [["--drill-max-age-hours", "0"], 3, "--drill-max-age-hours must be a positive number of hours"],
        [["--borg-repo", "backups/borg"], 3, "must be an absolute path or ssh://user@host[:port]/path"],
        [["--borg-repo", "/var/backups/borg", "--borg-host-key", HOST_KEY], 3, "only for an ssh:// --borg-repo"],
        [["--borg-repo", "ssh://borg@backup.example.net:23/./prod"], 3, "needs --borg-ssh-key"],
        [["--borg-repo", "ssh://backup.example.net/./prod", "--borg-ssh-key", KEY_FILE, "--borg-host-key", HOST_KEY], 3, "must be ssh://user@host[:port]/path"],
        [["--borg-repo", "ssh://borg@backup.example.net/./prod", "--borg-ssh-key", "/no/such/key", "--borg-host-key", HOST_KEY], 3, "must be an existing file"],
        [["--borg-repo", "ssh://borg@backup.example.net/./prod", "--borg-ssh-key", OPEN_KEY_FILE, "--borg-host-key", HOST_KEY], 3, "is readable by others"],
        [["--borg-repo", "ssh://borg@backup.example.net/./prod", "--borg-ssh-key", KEY_FILE, "--borg-host-key", "ssh-ed25519 AAAAC3NzaC1yc2E="], 3, "must be the backup host's public key"],
    ])("refuses %j with exit %i and a clear message, writing nothing", (extra, code, message) => {
        const root = freshRoot();
        const args = [...base];
        for (let i = 0; i < extra.length; i += 2) {
            const at = args.indexOf(extra[i]);
            if (at >= 0) args.splice(at, 2, extra[i], extra[i + 1]);
            else args.push(extra[i], extra[i + 1]);
        }
        const r = mokowaas(root, args, "pw\n");
        expect(r.status).toBe(code);
        expect(r.stderr).toContain(message);
        expect(fs.existsSync(path.join(root, "etc/mokowaas/platform.php"))).toBe(false);
    });

    it("an ssh:// repository: the key file is named, the backup host's key pinned in known_hosts (with its port)", () => {
        const root = freshRoot();
        const r = mokowaas(root, [...base, "--borg-repo", "ssh://borg@backup.example.net:23/./prod", "--borg-ssh-key", KEY_FILE,
            "--borg-host-key", HOST_KEY, "--drill-max-age-hours", "192"], "pw\n");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const shown = JSON.parse(mokowaas(root, ["platform", "show"]).stdout);
        expect(shown).toMatchObject({ borgRepo: "ssh://borg@backup.example.net:23/./prod", borgSsh: { keyFile: KEY_FILE }, drillMaxAgeHours: 192 });
        expect(fs.readFileSync(path.join(root, "etc/mokowaas/borg.known_hosts"), "utf8")).toBe(`[backup.example.net]:23 ${HOST_KEY}\n`);
        const port22 = freshRoot();
        expect(mokowaas(port22, [...base, "--borg-repo", "ssh://borg@backup.example.net/./prod", "--borg-ssh-key", KEY_FILE, "--borg-host-key", HOST_KEY], "pw\n").status).toBe(0);
        expect(fs.readFileSync(path.join(port22, "etc/mokowaas/borg.known_hosts"), "utf8")).toBe(`backup.example.net ${HOST_KEY}\n`);
    });

    it("show on a server that was never initialized says what to run (exit 4)", () => {
        const r = mokowaas(freshRoot(), ["platform", "show"]);
        expect(r.status).toBe(4);
        expect(r.stderr).toContain("run `mokowaas platform init` first");
    });
});
