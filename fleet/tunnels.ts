/**
 * The SSH tunnel opener the fleet uses: `openTunnel(platform)` exported by scripts/tunnel.ts (the
 * control plane's one implementation, also behind `npm run tunnel`). Loaded on first use, so runs
 * that need no tunnel (only `local` tenants, tests with a fake) never depend on it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Tunnel, TunnelOpener } from "./runner";

/** What fleet needs from scripts/tunnel.ts. */
export interface TunnelModule {
    /**
     * Opens `ssh -N -L` to the platform's MySQL on the local port its tenant stacks' mysql provider
     * uses, resolving once it accepts connections (a no-op tunnel when the platform needs none).
     * `outputs` are the platform stack's outputs, read by fleet with its own engine and backend.
     */
    openTunnel(platform: string, opts?: { outputs?: Record<string, unknown> }): Promise<Tunnel>;
}

/** `readOutputs` reads a platform stack's outputs (secrets in the clear, in memory only). */
export function tunnelOpener(repo: string, readOutputs?: (platform: string) => Promise<Record<string, unknown>>): TunnelOpener {
    return async (platform) => {
        const file = path.join(repo, "scripts", "tunnel.ts");
        if (!fs.existsSync(file)) throw new Error(`${path.relative(repo, file)} is missing: it must export openTunnel(platform)`);
        // Resolved at run time (tsx loads .ts): a static import would make every fleet run depend on it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(file) as Partial<TunnelModule>;
        if (typeof mod.openTunnel !== "function") throw new Error(`${path.relative(repo, file)} does not export openTunnel(platform): fleet cannot hold the MySQL tunnel open`);
        const outputs = readOutputs ? await readOutputs(platform) : undefined;
        if (outputs && Object.keys(outputs).length === 0) throw new Error(`platform stack ${platform} has no outputs: bring it up first (npm run fleet -- up --platform ${platform})`);
        return mod.openTunnel(platform, outputs ? { outputs } : {});
    };
}
