/**
 * `npm run local`'s fallback for machines without the whole Pulumi engine, asked for here with
 * MOKOWAAS_LOCAL_WITHOUT_PULUMI=1: it says loudly that it is not Pulumi, writes no Pulumi state,
 * and still brings up the same platform and tenants on real Joomla by running the platform's own
 * server scripts and CLI verbs in the stacks' order; a tenant file removed from the folder is
 * offboarded by the next run; its secrets stay in root-only files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, mokowaas } from "../../devenv/server-cli";
import { LocalInstance } from "../harness/local-instance";

describe("npm run local without Pulumi (the fallback, asked for)", () => {
    let i: LocalInstance;
    let firstRun = "";

    beforeAll(async () => {
        i = await LocalInstance.create({}, { MOKOWAAS_LOCAL_WITHOUT_PULUMI: "1" });
        firstRun = await i.local();
    }, 1_800_000);
    afterAll(async () => {
        await i?.remove();
    }, 600_000);

    it("says so in a banner that names why, and writes no Pulumi state", () => {
        expect(firstRun).toMatch(/NOT PULUMI: asked for/);
        expect(firstRun).toContain("forced by MOKOWAAS_LOCAL_WITHOUT_PULUMI=1");
        expect(firstRun).toMatch(/NOT Pulumi: server CLI verbs run directly/);
        expect(fs.existsSync(i.backend)).toBe(false);
    });

    it("serves real Joomla for each tenant, with the admin login it printed", async () => {
        for (const [t, dev, name] of [["acme", "dev.acme.example.com", "Acme Widgets (local demo)"], ["beta", "dev.beta.example.net", "Beta Bakery (local demo)"]]) {
            const page = await i.browser(dev).get("/");
            expect(page.status, page.body.slice(0, 300)).toBe(200);
            expect(page.body).toContain(name);
            const password = new RegExp(`user ${t}-admin\\s+password ([A-Za-z0-9]{24})`).exec(firstRun)?.[1];
            expect(password, `admin login of ${t}`).toBeDefined();
            expect(await i.browser(dev).loginAdministrator(`${t}-admin`, password!)).toBe(true);
        }
        expect((await i.browser("acme.example.com").get("/")).status).toBe(503);
    });

    it("keeps its secrets in files only root can read", () => {
        const secrets = i.settings.paths.secrets;
        expect(fs.statSync(secrets).mode & 0o777).toBe(0o700);
        for (const f of fs.readdirSync(secrets)) expect(fs.statSync(path.join(secrets, f)).mode & 0o777, f).toBe(0o600);
    });

    it("offboards a tenant whose file was removed, on the next run", async () => {
        fs.rmSync(path.join(i.tenantsDir, "beta.yaml"));
        const again = await i.local();
        expect(again).toContain("tenant beta: its file is no longer in");
        const list = JSON.parse(check(mokowaas(i.settings.paths.root, ["registry", "list"]), "registry list").stdout) as { tenant: string }[];
        expect(list.map((e) => e.tenant)).toEqual(["acme"]);
        const archives = JSON.parse(check(mokowaas(i.settings.paths.root, ["backups", "beta", "--json"]), "backups beta").stdout) as { archive: string }[];
        expect(archives.some((a) => /^beta-final-/.test(a.archive))).toBe(true);
        expect((await i.browser("dev.beta.example.net").get("/")).status).toBe(404);
        expect((await i.browser("dev.acme.example.com").get("/")).status).toBe(200);
    });
});
