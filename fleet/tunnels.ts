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
    /** Opens `ssh -N -L` to the platform's MySQL on the local port its tenant stacks' mysql provider uses; resolves once it accepts connections. */
    openTunnel(platform: string): Promise<Tunnel>;
}

export function tunnelOpener(repo: string): TunnelOpener {
    return async (platform) => {
        const file = path.join(repo, "scripts", "tunnel.ts");
        if (!fs.existsSync(file)) throw new Error(`${path.relative(repo, file)} is missing: it must export openTunnel(platform)`);
        // Resolved at run time (tsx loads .ts): a static import would make every fleet run depend on it.
        const mod = require(file) as Partial<TunnelModule>;
        if (typeof mod.openTunnel !== "function") throw new Error(`${path.relative(repo, file)} does not export openTunnel(platform): fleet cannot hold the MySQL tunnel open`);
        return mod.openTunnel(platform);
    };
}
