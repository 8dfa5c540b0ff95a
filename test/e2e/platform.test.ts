/**
 * The end-to-end proof on the real Pulumi engine and real Joomla 6.0.4, through the README's own
 * command: `npm run local` from fresh state runs `pulumi up` of platform `local` (this machine as
 * an `existing` server over a private sshd) and of tenant stacks acme, beta and gamma. Then, over
 * HTTPS through Caddy: each dev host serves its own Joomla site, each administrator login works
 * with its stack's adminPassword output and refuses the other's, production answers 503 until
 * `online: true`; the curl lines it printed work as printed; `pulumi preview` shows no change;
 * a tenant file removed from the folder is offboarded by the next run; `pulumi destroy` of beta
 * keeps a final archive that restores into a scratch tenant, drops beta's database and user, and
 * leaves acme alone; neither state nor logs hold a secret in plaintext; status and down work.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistryEntry } from "../../components/tenant";
import { blockedEngineParts } from "../../devenv/local-pulumi";
import { localSettings } from "../../devenv/local-settings";
import { waitForPort } from "../../devenv/ports";
import { check, mokowaas, php } from "../../devenv/server-cli";
import { textOfFiles } from "../harness/files";
import { type Page, scriptToken } from "../harness/joomla-browser";
import { LocalInstance, curlLine } from "../harness/local-instance";
import { skipWithout } from "../harness/strict";

const skip = skipWithout("the platform e2e (pulumi up of platform local and three tenant stacks)", blockedEngineParts(localSettings()));

const GAMMA = `# yaml-language-server: $schema=../../tenants/schema.json
displayName: Gamma Games (e2e, removed later)
platform: local
domains:
  production: gamma.example.org
dns:
  provider: external
admin:
  username: gamma-admin
  email: owner@gamma.example.org
`;

const SITES = {
    acme: { name: "Acme Widgets (local demo)", dev: "dev.acme.example.com", production: "acme.example.com" },
    beta: { name: "Beta Bakery (local demo)", dev: "dev.beta.example.net", production: "beta.example.net" },
    gamma: { name: "Gamma Games (e2e, removed later)", dev: "dev.gamma.example.org", production: "gamma.example.org" },
} as const;
type Tenant = keyof typeof SITES;

describe.skipIf(skip)("npm run local on the real Pulumi engine and real Joomla", () => {
    let i: LocalInstance;
    let firstRun = "";
    const outputs: Partial<Record<Tenant | "local", Record<string, any>>> = {};
    /** Every secret seen, to look for in state and logs at the end. */
    const secrets = new Set<string>();
    const get = (host: string, urlPath = "/"): Promise<Page> => i.browser(host).get(urlPath);
    const root = () => mysql.createConnection({ socketPath: i.settings.paths.mysqlSocket, user: "root" });

    beforeAll(async () => {
        i = await LocalInstance.create({ "gamma.yaml": GAMMA });
        firstRun = await i.local();
        for (const stack of ["local", "acme", "beta", "gamma"] as const) outputs[stack] = await i.outputs(stack);
    }, 1_800_000);
    afterAll(async () => {
        await i?.remove();
    }, 600_000);

    it("ran in Pulumi mode: pulumi up of the platform, then of each tenant stack, each with URLs and a secret admin password", () => {
        expect(firstRun).toMatch(/Pulumi mode: stacks local, acme, beta, gamma/);
        expect(firstRun).not.toMatch(/NOT PULUMI/);
        for (const stack of ["local", "acme", "beta", "gamma"]) expect(firstRun).toContain(`pulumi up -s ${stack}`);
        for (const t of ["acme", "beta", "gamma"] as const) {
            const o = outputs[t]!;
            expect(o).toMatchObject({ tenant: t, platform: "local", online: false, urls: { dev: `https://${SITES[t].dev}/` } });
            expect(o.adminPassword).toMatch(/^[A-Za-z0-9]{24}$/);
            secrets.add(o.adminPassword);
        }
        const platform = outputs.local!;
        expect(platform.joomlaVersion).toBe("6.0.4");
        secrets.add(platform.mysqlAdmin.password);
        secrets.add(platform.borgPassphrase);
        secrets.add(platform.ssh.privateKey.trim().split("\n")[1]);
    });

    it("serves each dev host as a real Joomla site with its own site name, never another tenant's", async () => {
        for (const t of ["acme", "beta", "gamma"] as const) {
            const page = await get(SITES[t].dev);
            expect(page.status, page.body.slice(0, 300)).toBe(200);
            expect(page.body).toContain('content="Joomla! - Open Source Content Management"');
            expect(page.body).toContain(SITES[t].name);
            for (const o of Object.keys(SITES).filter((x) => x !== t)) expect(page.body).not.toContain(SITES[o as Tenant].name);
            expect(page.headers["x-robots-tag"]).toMatch(/noindex/);
        }
        for (const t of ["acme", "beta"]) {
            const entry = JSON.parse(check(mokowaas(i.settings.paths.root, ["registry", "list"]), "registry list").stdout)
                .find((e: { tenant: string }) => e.tenant === t);
            expect(entry.db).toMatchObject({ name: t, user: t });
        }
    });

    it("prints curl lines that work as printed", () => {
        for (const t of ["acme", "beta"] as const) {
            const line = firstRun.split("\n").find((l) => l.includes("curl --resolve") && l.includes(`https://${SITES[t].dev}:`))!;
            expect(line).toContain(`--cacert ${i.caFile}`);
            const r = curlLine(line);
            expect(r.status).toBe(200);
            expect(r.body).toContain(SITES[t].name);
        }
    });

    it("logs each tenant's super user in with its stack's adminPassword output, and refuses the other tenant's password", async () => {
        for (const [t, other] of [["acme", "beta"], ["beta", "acme"]] as const) {
            const user = `${t}-admin`;
            expect(firstRun).toContain(`user ${user}   password ${outputs[t]!.adminPassword}`);
            const own = i.browser(SITES[t].dev);
            expect(await own.loginAdministrator(user, outputs[t]!.adminPassword), `${t} with its own password`).toBe(true);
            expect(await i.browser(SITES[t].dev).loginAdministrator(user, outputs[other]!.adminPassword), `${t} with ${other}'s password`).toBe(false);
        }
    });

    it("answers 503 coming soon on each production host while offline", async () => {
        const acme = await get(SITES.acme.production);
        expect(acme.status).toBe(503);
        expect(acme.body).toContain("Acme Widgets is coming soon");
        expect((await get(SITES.beta.production)).status).toBe(503);
    });

    it("after online: true for acme and gamma's file removed, the next run opens acme's production host and offboards gamma", async () => {
        i.setOnline("acme");
        fs.rmSync(path.join(i.tenantsDir, "gamma.yaml"));
        const again = await i.local();
        expect(again).toMatch(/caddy: already running/);
        expect(again).toContain("tenant gamma: its file is no longer in");
        const acme = await get(SITES.acme.production);
        expect(acme.status, acme.body.slice(0, 300)).toBe(200);
        expect(acme.body).toContain(SITES.acme.name);
        expect(acme.headers["x-robots-tag"]).toBeUndefined();
        expect((await get(SITES.beta.production)).status).toBe(503);
        // gamma: stack gone, hosts gone, database gone, its final archive kept.
        expect(await i.pulumi("local", "stack", "ls", "--json")).not.toContain('"gamma"');
        expect((await get(SITES.gamma.dev)).status).toBe(404);
        const c = await root();
        try {
            expect((await c.query("SHOW DATABASES LIKE 'gamma'"))[0]).toEqual([]);
        } finally {
            await c.end();
        }
        const archives = JSON.parse(check(mokowaas(i.settings.paths.root, ["backups", "gamma", "--json"]), "backups gamma").stdout) as { archive: string }[];
        expect(archives.some((a) => /^gamma-final-/.test(a.archive)), JSON.stringify(archives)).toBe(true);
    });

    it("previews no change right after, for every stack", async () => {
        for (const stack of ["local", "acme", "beta"]) await i.pulumi(stack, "preview", "--expect-no-changes");
    });

    it("destroys beta: its final archive restores into a scratch tenant, its database and user are gone, its hosts 404, acme unaffected", async () => {
        // Something of beta's own to find again: a file uploaded through its media manager.
        const b = i.browser(SITES.beta.dev);
        expect(await b.loginAdministrator("beta-admin", outputs.beta!.adminPassword)).toBe(true);
        const token = scriptToken((await b.get("/administrator/index.php?option=com_media")).body);
        const up = await b.postJson("/administrator/index.php?option=com_media&format=json&mediatypes=0,1,2,3&task=api.files&path=local-sites/beta/media/files:/",
            { name: "recipe.txt", content: Buffer.from("beta's sourdough").toString("base64") }, token);
        expect(up.status, up.body.slice(0, 300)).toBe(200);
        for (const t of ["acme", "beta"]) {
            // The tenant's database password and Joomla secret, as the registry holds them.
            const entry = JSON.parse(check(php(i.settings.paths.root, `echo json_encode((new MokoWaaS\\Registry(MokoWaaS\\Paths::fromEnv()))->get("${t}"));`), `entry of ${t}`).stdout);
            secrets.add(entry.db.password);
            secrets.add(entry.secret);
        }

        await i.pulumi("beta", "destroy", "--yes", "--skip-preview");
        const archives = JSON.parse(check(mokowaas(i.settings.paths.root, ["backups", "beta", "--json"]), "backups beta").stdout) as { archive: string }[];
        const final = archives.find((a) => /^beta-final-/.test(a.archive));
        expect(final, JSON.stringify(archives)).toBeDefined();
        const c = await root();
        try {
            expect((await c.query("SHOW DATABASES LIKE 'beta'"))[0]).toEqual([]);
            expect((await c.query("SELECT user, host FROM mysql.user WHERE user = 'beta'"))[0]).toEqual([]);
            // A scratch tenant to restore into: its own database, user and entry.
            await c.query("CREATE DATABASE scratch CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
            await c.query("CREATE USER 'scratch'@'127.0.0.1' IDENTIFIED BY 'Scratch0restore0pw'");
            await c.query("GRANT ALL PRIVILEGES ON scratch.* TO 'scratch'@'127.0.0.1'");
        } finally {
            await c.end();
        }
        const scratch: RegistryEntry = {
            tenant: "scratch", hosts: { dev: "dev.scratch.example.org", production: "scratch.example.org", aliases: [] }, online: false,
            db: { host: "127.0.0.1", port: i.settings.ports.mysql, name: "scratch", user: "scratch", password: "Scratch0restore0pw", prefix: "jos_" },
            secret: "scratch0secret0for0the0restore0drill", siteName: "Beta Bakery (local demo)",
            mail: { from: "owner@beta.example.net", fromName: "Beta Bakery" }, comingSoon: { title: "Soon", message: "Soon." }, backup: { keep: { daily: 1, weekly: 0, monthly: 0 } },
            limits: { phpWorkers: 2 },
        };
        check(mokowaas(i.settings.paths.root, ["registry", "put", "scratch"], JSON.stringify(scratch)), "registry put scratch");
        check(mokowaas(i.settings.paths.root, ["restore", "beta", "--archive", final!.archive, "--into", "scratch"]), "restore beta --into scratch");
        const restored = await get("dev.scratch.example.org");
        expect(restored.status, restored.body.slice(0, 300)).toBe(200);
        expect(restored.body).toContain("Beta Bakery (local demo)");
        // beta's own data came back: its super user logs in with beta's password, its upload is served.
        expect(await i.browser("dev.scratch.example.org").loginAdministrator("beta-admin", outputs.beta!.adminPassword)).toBe(true);
        expect((await get("dev.scratch.example.org", "/sites/scratch/media/files/recipe.txt")).body).toBe("beta's sourdough");

        for (const host of [SITES.beta.dev, SITES.beta.production]) expect((await get(host)).status, host).toBe(404);
        expect((await get(SITES.acme.dev)).body).toContain(SITES.acme.name);
        expect((await get(SITES.acme.production)).status).toBe(200);
        expect(await i.browser(SITES.acme.dev).loginAdministrator("acme-admin", outputs.acme!.adminPassword)).toBe(true);
    });

    it("keeps no password, key or secret in plaintext in the Pulumi state or the services' logs", () => {
        const state = textOfFiles(i.backend);
        const logs = textOfFiles(i.settings.state, (f) => /\.(log|out|stderr)$/.test(f));
        expect(state).toContain("mokowaas:index:Tenant");
        expect(secrets.size).toBeGreaterThanOrEqual(10);
        for (const secret of secrets) {
            expect(secret.length).toBeGreaterThan(10);
            expect(state.includes(secret), "a secret in plaintext in the state").toBe(false);
            expect(logs.includes(secret), "a secret in plaintext in a log").toBe(false);
        }
    });

    it("reports status, and `down` stops every service", async () => {
        const status = await i.local("status");
        expect(status).toMatch(/caddy\s+running/);
        expect(status).toMatch(/tenant acme: ready, online/);
        const down = await i.local("down");
        for (const svc of ["caddy", "php-fpm", "mysql", "sshd"]) expect(down).toMatch(new RegExp(`${svc}: stopped`));
        for (const p of [i.settings.ports.https, i.settings.ports.http, i.settings.ports.mysql, i.settings.ports.fpm, i.settings.ports.ssh]) {
            await expect(waitForPort(p, "127.0.0.1", 0), `port ${p}`).rejects.toThrow();
        }
    });
});
