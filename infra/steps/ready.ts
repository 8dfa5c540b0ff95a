/** Step 1: the server is ready (cloud-init finished on a new one; PHP >= 8.3 on an existing one). */
import type * as command from "@pulumi/command";
import { shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import type { PlatformServer } from "./server";

/** Waits until the new server finished cloud-init; on an existing server checks what must be there. */
export function readyScript(c: PlatformConfig): string {
    if (c.server.provider !== "existing") {
        return "cloud-init status --wait >/dev/null || { cloud-init status --long >&2; exit 1; }";
    }
    return [
        "set -eu",
        `${shellQuote(c.paths.php)} -r 'exit(PHP_VERSION_ID >= 80300 ? 0 : 1);' || { echo "PHP 8.3 or newer (Joomla 6's minimum) is required on the server (mokowaas:paths.php)" >&2; exit 1; }`,
    ].join("\n");
}

export function readyStep(server: PlatformServer): command.remote.Command {
    return server.run("ready", { create: readyScript(server.config) }, []);
}
