/**
 * A hostile tenant on the shared server (real Joomla 6.0.4, real Caddy, PHP-FPM and MySQL): PHP
 * code running in tenant alpha's pool, placed in the shared code the way an extension's files
 * would be, tries to reach tenant bravo and the platform — bravo's per-host file, registry entry,
 * media and sessions, the platform config, the Borg passphrase, bravo's database with alpha's own
 * credentials, the list of tenants — and to write into the shared release. Every attempt is made
 * twice: with PHP's own functions (under the pool's open_basedir) and through a shell, which
 * open_basedir does not cover, so the files' owners and modes are what stops it; and open_basedir
 * is shown to hold on its own (a world-readable file outside it, before and after trying to loosen
 * it). Every attempt fails. A .php file alpha puts into its own media is served as bytes, never run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { writePassphrase } from "../../devenv/borg";
import { httpsGet } from "../../devenv/caddy";
import { addJoomlaTenant, startDataPlane, type DataPlane, type TenantEntry } from "../harness/data-plane";
import { JoomlaBrowser } from "../harness/joomla-browser";

let dir: string;
let plane: DataPlane;
const tenants: Record<string, { entry: TenantEntry; admin: { username: string; password: string } }> = {};

// What a super user's extension could ship: it runs as whatever pool serves the request.
const HOSTILE = String.raw`<?php
$t = json_decode(file_get_contents(__DIR__ . '/targets.json'), true);
$results = [];
$try = static function (string $what, callable $fn) use (&$results): void {
    try {
        $r = @$fn();
        $results[] = ['attempt' => $what, 'succeeded' => $r !== false && $r !== null && $r !== '' && $r !== [], 'detail' => is_scalar($r) ? substr((string) $r, 0, 80) : gettype($r)];
    } catch (\Throwable $e) {
        $results[] = ['attempt' => $what, 'succeeded' => false, 'detail' => substr($e->getMessage(), 0, 120)];
    }
};
$sh = static function (string $cmd) {
    if (!function_exists('shell_exec')) { return false; }
    $out = shell_exec($cmd . ' 2>/dev/null');
    return is_string($out) && $out !== '' ? $out : false;
};
foreach ($t['read'] as $what => $file) {
    $try("read $what (PHP)", static fn () => file_get_contents($file));
    $try("read $what (shell)", static fn () => $sh('cat ' . escapeshellarg($file)));
}
$try('include the other tenant\'s per-host file (opcache holds it)', static fn () => include $t['read']['the other tenant\'s per-host file']);
foreach ($t['list'] as $what => $folder) {
    $try("list $what (PHP)", static fn () => array_diff(scandir($folder) ?: [], ['.', '..']));
    $try("list $what (shell)", static fn () => $sh('ls -A ' . escapeshellarg($folder)));
}
foreach ($t['write'] as $what => $file) {
    $try("write $what (PHP)", static fn () => file_put_contents($file, 'owned', FILE_APPEND));
    $try("write $what (shell)", static fn () => $sh('echo owned >> ' . escapeshellarg($file) . ' && echo written'));
}
$try('list the opcache (every pool\'s scripts)', static fn () => opcache_get_status(true)['scripts'] ?? false);
// open_basedir itself: a file every Unix user may read, outside the tenant's limit, read with PHP,
// then again after trying to loosen the limit.
$try('read a world-readable file outside open_basedir (PHP)', static fn () => file_get_contents($t['outside']));
$try('loosen open_basedir with ini_set, then read it', static fn () => ini_set('open_basedir', '/') !== false ? file_get_contents($t['outside']) : false);
$try('lift open_basedir with ini_restore, then read it', static function () use ($t) { ini_restore('open_basedir'); return file_get_contents($t['outside']); });
// Its own credentials, from its own per-host file (that one it may read), against the other database.
$try('connect to the other tenant\'s database with its own credentials', static function () use ($t) {
    mysqli_report(MYSQLI_REPORT_OFF);
    $own = file_get_contents($t['ownHostFile']);
    preg_match("/public \\\$user = '([^']*)'/", $own, $u);
    preg_match("/public \\\$password = '([^']*)'/", $own, $p);
    $db = @new mysqli($t['db']['host'], $u[1], $p[1], $t['db']['name'], $t['db']['port']);
    return $db->connect_errno === 0 ? 'connected to ' . $t['db']['name'] : false;
});
// And what it may do: its own media (the planted script, fetched below).
$planted = file_put_contents($t['ownMedia'] . '/planted.php', '<?php echo "EXECUTED-" . "PLANTED";');
header('Content-Type: application/json');
echo json_encode(['results' => $results, 'planted' => $planted !== false, 'user' => posix_getpwuid(posix_geteuid())['name']]);
`;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-isolation-"));
    const db = inject("mysql");
    plane = await startDataPlane(dir, db, { joomla: "6.0.4" });
    writePassphrase(plane.root); // as the platform stack writes it (0600 root)
    tenants.alpha = await addJoomlaTenant(plane.root, db, "alpha", { siteName: "Alpha Widgets" });
    tenants.bravo = await addJoomlaTenant(plane.root, db, "bravo", { siteName: "Bravo Bakery", online: true });
    // bravo is in use: a logged-in session (a session file), a media file, its pages in opcache.
    expect(await new JoomlaBrowser("dev.bravo.example.com", plane.caddy.httpsPort, plane.caddy.ca).loginAdministrator(tenants.bravo.admin.username, tenants.bravo.admin.password)).toBe(true);
    fs.writeFileSync(path.join(plane.root, "srv/mokowaas/tenants/bravo/media/images/secret-plan.txt"), "bravo's secret plan");
    expect((await httpsGet(plane.caddy, "dev.bravo.example.com")).status).toBe(200);
    expect((await httpsGet(plane.caddy, "bravo.example.com")).status).toBe(200);
}, 300_000);
afterAll(async () => {
    await plane?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("a hostile tenant's PHP", () => {
    test("reaches nothing of another tenant or the platform, and cannot write the shared code", async () => {
        const root = plane.root;
        const bravoDir = path.join(root, "srv/mokowaas/tenants/bravo");
        const sessions = fs.readdirSync(path.join(bravoDir, "sessions")).filter((f) => f.startsWith("sess_"));
        expect(sessions.length, "bravo has a session on disk").toBeGreaterThan(0);
        const targets = {
            read: {
                "the other tenant's per-host file": path.join(root, "etc/mokowaas/registry/hosts/dev.bravo.example.com.php"),
                "the other tenant's registry entry": path.join(root, "etc/mokowaas/registry/tenants/bravo.php"),
                "the platform config (MySQL admin)": path.join(root, "etc/mokowaas/platform.php"),
                "the Borg passphrase": path.join(root, "etc/mokowaas/borg.passphrase"),
                "the blueprint's description": path.join(root, "etc/mokowaas/blueprint.php"),
                "the other tenant's media": path.join(bravoDir, "media/images/secret-plan.txt"),
                "the other tenant's session": path.join(bravoDir, "sessions", sessions[0]),
                "the other tenant's pool file": path.join(root, "etc/mokowaas/fpm/bravo.conf"),
            },
            list: {
                "the tenants' folders": path.join(root, "srv/mokowaas/tenants"),
                "the other tenant's folder": bravoDir,
                "the other tenant's media": path.join(bravoDir, "media/images"),
                "the registry": path.join(root, "etc/mokowaas/registry/tenants"),
                "the tenants' pools": path.join(root, "etc/mokowaas/fpm"),
            },
            write: {
                "the shared release's index.php": path.join(plane.release, "index.php"),
                "a new file in the shared release": path.join(plane.release, "owned.php"),
                "the shared configuration.php": path.join(plane.release, "configuration.php"),
                "the other tenant's media": path.join(bravoDir, "media/images/defaced.txt"),
            },
            outside: "/etc/passwd",
            ownHostFile: path.join(root, "etc/mokowaas/registry/hosts/dev.alpha.example.com.php"),
            ownMedia: path.join(root, "srv/mokowaas/tenants/alpha/media/images"),
            db: { host: "127.0.0.1", port: inject("mysql").port, name: tenants.bravo.entry.db.name },
        };
        // Planted as root, as the platform would install an extension's files into the release.
        const ext = path.join(plane.release, "components/com_hostile");
        fs.mkdirSync(ext, { recursive: true });
        fs.writeFileSync(path.join(ext, "hostile.php"), HOSTILE);
        fs.writeFileSync(path.join(ext, "targets.json"), JSON.stringify(targets));
        fs.chmodSync(ext, 0o755);
        const before = fs.readFileSync(path.join(plane.release, "index.php"));

        const r = await httpsGet(plane.caddy, "dev.alpha.example.com", "/components/com_hostile/hostile.php");
        expect(r.status, r.body.slice(0, 500)).toBe(200);
        const out = JSON.parse(r.body) as { results: { attempt: string; succeeded: boolean; detail: string }[]; planted: boolean; user: string };
        expect(out.user).toMatch(/-alpha$/);
        const succeeded = out.results.filter((a) => a.succeeded);
        console.log(`hostile tenant: ${out.results.length} attempts, ${succeeded.length} succeeded`);
        expect(out.results.length).toBeGreaterThanOrEqual(30);
        expect(succeeded, JSON.stringify(succeeded, null, 1)).toEqual([]);
        // Nothing changed on disk either.
        expect(fs.readFileSync(path.join(plane.release, "index.php")).equals(before)).toBe(true);
        for (const f of [path.join(plane.release, "owned.php"), path.join(bravoDir, "media/images/defaced.txt")]) expect(fs.existsSync(f), f).toBe(false);

        // What alpha's code could do to itself: a .php in its media. Served as bytes, never run.
        expect(out.planted).toBe(true);
        for (const urlPath of ["/sites/alpha/media/images/planted.php", "/sites/alpha/media/images/planted.php/x.php"]) {
            const planted = await httpsGet(plane.caddy, "dev.alpha.example.com", urlPath);
            expect(planted.body, urlPath).not.toContain("EXECUTED-PLANTED");
            expect([200, 403, 404], urlPath).toContain(planted.status);
        }
        expect((await httpsGet(plane.caddy, "dev.alpha.example.com", "/sites/alpha/media/images/planted.php")).body).toContain('"EXECUTED-" . "PLANTED"');
    });

    test("the same code on bravo's host runs as bravo, and a pool answers no other tenant's host", async () => {
        const r = await httpsGet(plane.caddy, "dev.bravo.example.com", "/components/com_hostile/hostile.php");
        expect(JSON.parse(r.body).user).toMatch(/-bravo$/);
        // A link that sends bravo's host to alpha's pool (a misrouted request): alpha's pool refuses it.
        const link = path.join(plane.root, "var/lib/mokowaas/fpm-hosts/dev.bravo.example.com.sock");
        const right = fs.readlinkSync(link);
        fs.unlinkSync(link);
        fs.symlinkSync(right.replace(/mokowaas-bravo\.sock$/, "mokowaas-alpha.sock"), link);
        try {
            const misrouted = await httpsGet(plane.caddy, "dev.bravo.example.com");
            expect(misrouted.status).toBe(421);
            expect(misrouted.body).not.toContain("Bravo Bakery");
            expect(misrouted.body).not.toContain("Alpha Widgets");
        } finally {
            fs.unlinkSync(link);
            fs.symlinkSync(right, link);
        }
        expect((await httpsGet(plane.caddy, "dev.bravo.example.com")).body).toContain("Bravo Bakery");
    });
});

describe("files on the server", () => {
    test("platform credentials are root's alone; each tenant's secrets are root's and that tenant's", () => {
        const st = (p: string) => fs.statSync(path.join(plane.root, p));
        for (const f of ["etc/mokowaas/platform.php", "etc/mokowaas/borg.passphrase"]) {
            expect(st(f).mode & 0o777, f).toBe(0o600);
            expect(st(f).uid, f).toBe(0);
        }
        const alphaGid = fs.statSync(path.join(plane.root, "srv/mokowaas/tenants/alpha/sessions")).gid;
        for (const f of ["etc/mokowaas/registry/tenants/alpha.php", "etc/mokowaas/registry/hosts/dev.alpha.example.com.php"]) {
            expect(st(f).mode & 0o777, f).toBe(0o640);
            expect(st(f).uid, f).toBe(0);
            expect(st(f).gid, f).toBe(alphaGid);
        }
        expect(st("etc/mokowaas/registry/hosts.php").mode & 0o777).toBe(0o644);
        expect(st("srv/mokowaas/tenants").mode & 0o777).toBe(0o711);
        expect(st("etc/mokowaas/fpm/alpha.conf").mode & 0o777).toBe(0o600);
    });
});
