/** Step 5: the Borg repository's passphrase, from stdin into its root-only file. */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import { serverPaths, sudoPrefix } from "../server-paths";
import type { PlatformServer } from "./server";

/**
 * Writes the Borg passphrase (stdin) to its root-only file (0600, the server CLI refuses anything
 * looser). An existing file with another passphrase is never replaced: archives made with it
 * would become unreadable. Adopt it instead (mokowaas:borgPassphrase), see docs/config.md.
 */
export function borgPassphraseScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const f = shellQuote(serverPaths(c).borgPassphrase);
    return [
        "set -eu",
        "pp=$(cat)",
        `case "$pp" in ''|*[!A-Za-z0-9]*) echo "borg passphrase: the passphrase on stdin must be letters and digits" >&2; exit 3;; esac`,
        `if ${s}test -e ${f}; then`,
        `  if [ "$(${s}cat ${f})" != "$pp" ]; then`,
        `    echo ${shellQuote(`borg passphrase: ${serverPaths(c).borgPassphrase} exists and holds another passphrase; it is kept (archives made with it need it). ` +
            "Adopt it: `pulumi config set --secret mokowaas:borgPassphrase < <that file>`, then `pulumi up` again")} >&2`,
        "    exit 6",
        "  fi",
        "else",
        `  ${s}mkdir -p ${shellQuote(serverPaths(c).borgPassphrase.replace(/\/[^/]*$/, ""))}`,
        // printf is a shell builtin: the passphrase never reaches any argv.
        `  printf '%s' "$pp" | ${s}sh -c ${shellQuote(`umask 077; cat > ${f}.new && mv -f ${f}.new ${f}`)}`,
        "fi",
        `${s}chmod 600 ${f}`,
        `${s}chown 0:0 ${f} 2>/dev/null || true`,
    ].join("\n");
}

export function borgPassphraseStep(server: PlatformServer, passphrase: pulumi.Input<string>, dependsOn: pulumi.Resource[]): command.remote.Command {
    return server.run("borg-passphrase", { create: borgPassphraseScript(server.config), stdin: passphrase }, dependsOn);
}
