/**
 * Every server CLI call the platform stack declares (setup commands and the systemd timers it
 * installs) exists with that spelling in the real CLI (helpers/cli-contract.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fakePrivateKey } from "./helpers/platform-fixture";
import { expectAccepted, invocations, shellWords } from "./helpers/cli-contract";
import { installMocks, settle } from "./helpers/pulumi-mocks";
import { stackConfig } from "./helpers/stack-config";

const KEY = fakePrivateKey("contractkeyonly");
// Paths under a folder of our own, so no argument names a real path of this machine.
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-contract-root-"));
const CLI_PATH = `${ROOT}/opt/runtime/bin/mokowaas`;
const registered = installMocks({
    stack: "prod",
    config: {
        ...stackConfig("prod", {
            // Every optional flag the platform can pass.
            "mokowaas:borgRepo": `${ROOT}/borg`,
            "mokowaas:webUrl": "https://127.0.0.1:8443",
            "mokowaas:paths": { root: `${ROOT}/root`, runtimeDir: `${ROOT}/opt` },
        }),
        "mokowaas:sshPrivateKey": KEY,
    },
    secretKeys: ["mokowaas:sshPrivateKey"],
});

beforeAll(async () => {
    const program = (await import("../../index")).default as unknown as () => Promise<Record<string, unknown>>;
    await program();
    await settle();
    return () => fs.rmSync(ROOT, { recursive: true, force: true });
});

describe("server CLI contract: platform stack", () => {
    it("splits shell words as the server's shell does", () => {
        expect(shellWords(`a 'b c' "d\\"e" f\\ g; h`)).toEqual(["a", "b c", 'd"e', "f g"]);
        expect(shellWords("backup --all --tag pre-joomla-6.0.4; fi")).toEqual(["backup", "--all", "--tag", "pre-joomla-6.0.4"]);
    });

    it("finds every call: runtime refresh, setup steps, release upgrade and the timers", () => {
        const found = invocations(registered, CLI_PATH).map((i) => `${i.where}: ${i.args.join(" ")}`);
        const rel = `${ROOT}/root/srv/mokowaas/releases/joomla-6.0.4`;
        expect(found).toEqual([
            "prod-runtime-install.create: release bootstrap --all",
            "prod-runtime-install.create: registry rebuild",
            `prod-platform-init.create: platform init --mysql-host 127.0.0.1 --mysql-port 3306 --mysql-user mokowaas_admin --php-user www-data --fpm-binary /usr/sbin/php-fpm8.3 --fpm-config /etc/php/8.3/fpm/php-fpm.conf --fpm-pid-file /run/php/php8.3-fpm.pid --fpm-socket-dir /run/php --web-group caddy --borg-repo ${ROOT}/borg --web-url https://127.0.0.1:8443`,
            `prod-joomla-release.create: release bootstrap ${rel}`,
            `prod-joomla-release.create: blueprint create --release ${rel}.dist`,
            "prod-joomla-release.create: upgrade --all --release joomla-6.0.4 --concurrency 1 --canary 1 --max-failures 0",
            "prod-joomla-release.create: migrate --all",
            "prod-timers.create: backup --all",
            "prod-timers.create: prune --all",
            "prod-timers.create: health --prometheus /var/lib/prometheus/node-exporter/mokowaas.prom",
        ]);
    });

    it("every call names a verb and options the real CLI accepts", () => {
        const all = invocations(registered, CLI_PATH);
        expect(all.length).toBeGreaterThan(0);
        for (const inv of all) expectAccepted(inv);
    });
});
