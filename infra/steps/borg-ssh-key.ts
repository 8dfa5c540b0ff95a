/**
 * Step 3b (only for an ssh:// borgRepo): the server's own SSH key for the backup host, from stdin
 * into its root-only file, before `platform init` names it. On the backup host the key may run
 * `borg serve --append-only --restrict-to-repository <repo>` and nothing else
 * (docs/reliability.md), so a compromised server cannot destroy its archives.
 */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../../components/server-command";
import type { PlatformConfig } from "../config";
import { serverPaths, sudoPrefix } from "../server-paths";
import type { PlatformServer } from "./server";

/** Writes the key on stdin to its file (0600 root), replacing an older one (a rotated key). */
export function borgSshKeyScript(c: PlatformConfig): string {
    const s = sudoPrefix(c);
    const file = serverPaths(c).borgSshKey;
    const f = shellQuote(file);
    return [
        "set -eu",
        "key=$(cat)",
        `case "$key" in "-----BEGIN OPENSSH PRIVATE KEY-----"*) ;; *) echo ${shellQuote("borg ssh key: stdin must be an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----), unencrypted")} >&2; exit 3;; esac`,
        `${s}mkdir -p ${shellQuote(file.replace(/\/[^/]*$/, ""))}`,
        // printf is a shell builtin: the key never reaches any argv.
        `printf '%s\\n' "$key" | ${s}sh -c ${shellQuote(`umask 077; cat > ${f}.new && mv -f ${f}.new ${f}`)}`,
        `${s}chmod 600 ${f}`,
        `${s}chown 0:0 ${f} 2>/dev/null || true`,
    ].join("\n");
}

export function borgSshKeyStep(server: PlatformServer, privateKey: pulumi.Input<string>, dependsOn: pulumi.Resource[]): command.remote.Command {
    return server.run("borg-ssh-key", { create: borgSshKeyScript(server.config), stdin: privateKey }, dependsOn);
}
