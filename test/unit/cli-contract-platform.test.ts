/**
 * Every server CLI call the platform stack declares (setup commands and the systemd timers it
 * installs) exists with that spelling in the real CLI (helpers/cli-contract.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../../infra/host-key";
import { fakePrivateKey } from "./helpers/platform-fixture";
import { expectAccepted, invocations, shellWords } from "./helpers/cli-contract";
import { installMocks, settle } from "./helpers/pulumi-mocks";
import { stackConfig } from "./helpers/stack-config";
import { releaseName } from "../../infra/steps/joomla-release";

const KEY = fakePrivateKey("contractkeyonly");
const BACKUP_HOST_KEY = ed25519HostKey(Buffer.alloc(32, 9)).publicKey;
const SHA512 = "ab".repeat(64);
// Paths under a folder of our own, so no argument names a real path of this machine.
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-contract-root-"));
const CLI_PATH = `${ROOT}/opt/runtime/bin/mokowaas`;
const registered = installMocks({
    stack: "prod",
    config: {
        ...stackConfig("prod", {
            // Every optional flag the platform can pass.
            "mokowaas:borgRepo": "ssh://borg@backup.example.net:23/./mokowaas",
            "mokowaas:borgHostKey": BACKUP_HOST_KEY,
            "mokowaas:webUrl": "https://127.0.0.1:8443",
            "mokowaas:paths": { root: `${ROOT}/root`, runtimeDir: `${ROOT}/opt` },
            "mokowaas:extensions": [{ name: "probe", url: "https://example.com/pkg_probe.zip", sha512: SHA512 }],
        }),
        "mokowaas:sshPrivateKey": KEY,
        "mokowaas:borgSshPrivateKey": fakePrivateKey("contractborgkey"),
    },
    secretKeys: ["mokowaas:sshPrivateKey", "mokowaas:borgSshPrivateKey"],
});

beforeAll(async () => {
    const program = (await import("../../index")).default;
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
        const releases = `${ROOT}/root/srv/mokowaas/releases`;
        const rel = `${releases}/${releaseName({ joomla: { version: "6.0.4" }, extensions: [{ name: "probe", url: "", sha512: SHA512 }] })}`;
        expect(found).toEqual([
            "prod-runtime-install.create: release bootstrap --all",
            "prod-runtime-install.create: registry rebuild",
            `prod-platform-init.create: platform init --mysql-host 127.0.0.1 --mysql-port 3306 --mysql-user mokowaas_admin --php-user www-data --fpm-binary /usr/sbin/php-fpm8.3 --fpm-config /etc/php/8.3/fpm/php-fpm.conf --fpm-pid-file /run/php/php8.3-fpm.pid --fpm-socket-dir /run/php --web-group caddy --borg-repo ssh://borg@backup.example.net:23/./mokowaas --borg-ssh-key ${ROOT}/root/etc/mokowaas/borg.ssh-key --borg-host-key ${BACKUP_HOST_KEY} --drill-max-age-hours 192 --web-url https://127.0.0.1:8443 --cert-new-per-3h 100 --cert-new-per-domain-week 40`,
            `prod-joomla-release.create: release extensions ${rel}.partial --dist ${releases}/joomla-6.0.4.dist --package probe=${SHA512}:$tmp/ext-0`,
            `prod-joomla-release.create: release bootstrap ${rel}`,
            `prod-joomla-release.create: blueprint create --release ${releases}/joomla-6.0.4.dist`,
            `prod-joomla-release.create: upgrade --all --release ${path.basename(rel)} --concurrency 1 --canary 1 --max-failures 0`,
            "prod-joomla-release.create: migrate --all",
            "prod-timers.create: backup --all",
            "prod-timers.create: prune --all",
            "prod-timers.create: drill",
            "prod-timers.create: health --prometheus /var/lib/prometheus/node-exporter/mokowaas.prom",
        ]);
    });

    it("every call names a verb and options the real CLI accepts", () => {
        const all = invocations(registered, CLI_PATH);
        expect(all.length).toBeGreaterThan(0);
        for (const inv of all) expectAccepted(inv);
    });
});
