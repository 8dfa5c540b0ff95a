/**
 * A private OpenSSH server on 127.0.0.1, so this machine can be the `existing` server of the
 * local platform exactly as a VPS is: the control plane logs in as root with a key, over SSH.
 * Its host key, config, authorized key and pid live under `dir`; the client key pair is created
 * once at `clientKey` (0600). Always a daemon.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitForPort } from "./ports";
import { launch } from "./process";

export interface SshdOptions {
    dir: string;
    port: number;
    /** Private key file of the client; created (ed25519) when missing, its public half authorized for root. */
    clientKey: string;
    /**
     * The authorized_keys file's lines instead (e.g. `command="borg serve ...",restrict <key>` on a
     * backup host); the client key is still created.
     */
    authorizedKeys?: string[];
}

function keygen(file: string, comment: string): void {
    if (fs.existsSync(file)) return;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ssh-keygen ${file} failed: ${r.stderr}`);
}

export async function startSshd(opts: SshdOptions): Promise<{ pid: number }> {
    const bin = ["/usr/sbin/sshd", "/usr/bin/sshd"].find((f) => fs.existsSync(f));
    if (!bin) throw new Error("sshd is not installed: run `bash scripts/setup.sh` (installs openssh-server)");
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    // sshd's privilege separation folder (created by the Debian service, which is not running here).
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const hostKey = path.join(opts.dir, "ssh_host_ed25519_key");
    ensureSshdHostKey(opts.dir);
    keygen(opts.clientKey, "mokowaas-local-control");
    const authorized = path.join(opts.dir, "authorized_keys");
    const lines = opts.authorizedKeys ? `${opts.authorizedKeys.join("\n")}\n` : fs.readFileSync(`${opts.clientKey}.pub`);
    fs.writeFileSync(authorized, lines, { mode: 0o600 });
    const pidFile = path.join(opts.dir, "sshd.pid");
    const config = path.join(opts.dir, "sshd_config");
    fs.writeFileSync(config, [
        `Port ${opts.port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${authorized}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        // the state folder's parents belong to whoever checked out the repo
        "StrictModes no",
        "Subsystem sftp internal-sftp",
        // @pulumi/command hands its delete commands their stored output through these.
        "AcceptEnv PULUMI_COMMAND_STDOUT PULUMI_COMMAND_STDERR",
        "",
    ].join("\n"));
    const logFile = path.join(opts.dir, "sshd.log");
    const proc = launch(bin, ["-D", "-e", "-f", config], { logFile, daemon: true, pidFile });
    try {
        await waitForPort(opts.port, "127.0.0.1", 15_000);
        if (proc.exited()) throw new Error("exited");
    } catch {
        await proc.stop("SIGKILL", 1000);
        throw new Error(`sshd did not start on port ${opts.port}: ${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    return { pid: proc.pid };
}

/**
 * Creates the sshd's host key in `dir` when missing and returns its public line. The local
 * platform's config needs it (an existing server's host key is required) even in the mode
 * that runs the steps without SSH; the sshd started later serves this same key.
 */
export function ensureSshdHostKey(dir: string): string {
    keygen(path.join(dir, "ssh_host_ed25519_key"), "mokowaas-local-host");
    return sshdHostKey(dir);
}

/** The host key line (`ssh-ed25519 AAAA...`) clients can pin. */
export function sshdHostKey(dir: string): string {
    return fs.readFileSync(path.join(dir, "ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
}
