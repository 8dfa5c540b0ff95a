/**
 * Benchmark (not a test): seconds from `pulumi up` of a NEW tenant stack until its dev host answers
 * 200 with its site name, on the local platform (`npm run local` first brings up platform `local`
 * and the demo tenants; each round then adds one tenant file, creates its stack and runs `pulumi
 * up` on the real engine: passwords, database, user, grant, registry entry, seed). Each round's
 * tenant is destroyed afterwards (not timed). Run as root: `npx tsx bench/tenant-up/run.ts [rounds]`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { localJoomla } from "../../devenv/local-platform";
import { createStack, engineEnv, writeStackConfigs } from "../../devenv/local-pulumi";
import { loadLocalTenants } from "../../devenv/local-tenants";
import { LocalInstance } from "../../test/harness/local-instance";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
    const rounds = Number(process.argv[2] ?? 5);
    const i = await LocalInstance.create();
    try {
        const t0 = Date.now();
        await i.local();
        console.log(`npm run local (platform local + acme + beta, warm caches): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const seconds: { up: number; total: number }[] = [];
        for (let r = 0; r < rounds; r++) {
            const name = `bench${r}`;
            const siteName = `Bench Site ${r}`;
            fs.writeFileSync(path.join(i.tenantsDir, `${name}.yaml`), `displayName: ${siteName}\nplatform: local\ndomains:\n  production: ${name}.example.org\nadmin:\n  username: ${name}-admin\n  email: owner@${name}.example.org\n`);
            const start = Date.now();
            const files = writeStackConfigs(i.settings, localJoomla(), loadLocalTenants(i.settings));
            createStack(i.settings, name, files[name], engineEnv(i.settings, i.env));
            await i.pulumi(name, "up", "--yes", "--skip-preview");
            const up = (Date.now() - start) / 1000;
            for (;;) {
                const page = await i.browser(`dev.${name}.example.org`).get("/");
                if (page.status === 200 && page.body.includes(siteName)) break;
                if (Date.now() - start > 300_000) throw new Error(`dev.${name}.example.org never served its site`);
                await new Promise((res) => setTimeout(res, 100));
            }
            seconds.push({ up, total: (Date.now() - start) / 1000 });
            console.log(`round ${r + 1}: pulumi up ${up.toFixed(1)} s, dev host serving its site name after ${seconds[r].total.toFixed(1)} s`);
            await i.pulumi(name, "destroy", "--yes", "--skip-preview");
            await i.pulumi(name, "stack", "rm", "--yes");
            fs.rmSync(path.join(i.tenantsDir, `${name}.yaml`));
        }
        console.log(`\nmedian over ${rounds}: pulumi up ${median(seconds.map((s) => s.up)).toFixed(1)} s, until the dev host serves ${median(seconds.map((s) => s.total)).toFixed(1)} s`);
    } finally {
        await i.remove();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
