/**
 * cloud-init user data for a new Ubuntu 24.04 platform server. It installs and configures
 * packages, and installs the SSH host key the stack generated (infra/host-key.ts), so the very
 * first connection is verified. That private key is the only secret in it: the user data is a
 * Pulumi secret (encrypted in state), root-only on the server, and kept from everyone but root
 * by the metadata guard below. Everything platform-specific is done afterwards over SSH by
 * infra/platform.ts.
 */
import { stringify } from "yaml";
import type { HostKeyPair } from "./host-key";

/** PHP 8.3 with the extensions Joomla 6 needs or uses (see reference/joomla6.md). */
export const PHP_PACKAGES = [
    "php8.3-fpm", "php8.3-cli", "php8.3-mysql", "php8.3-xml", "php8.3-mbstring", "php8.3-curl",
    "php8.3-zip", "php8.3-intl", "php8.3-gd", "php8.3-opcache", "php8.3-bcmath",
];

export const SERVER_PACKAGES = [
    "mysql-server", ...PHP_PACKAGES, "caddy", "borgbackup", "unattended-upgrades",
    "curl", "unzip", "zstd", "ca-certificates", "iptables",
];

/** MySQL on loopback only (tenant stacks reach it through an SSH tunnel), no X protocol. */
const MYSQL_CNF = `[mysqld]
bind-address = 127.0.0.1
mysqlx = OFF
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
`;

/** Security updates install themselves; the reboot they may need is left to the operator. */
const AUTO_UPGRADES = `APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
`;

const SSHD = `PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
# @pulumi/command hands a delete command its stored output through these (offboard's logs).
AcceptEnv PULUMI_COMMAND_STDOUT PULUMI_COMMAND_STDERR
`;

/**
 * The cloud's metadata service hands the user data (with the host's private key) to any local
 * process that asks; tenants' PHP must not. Only root (cloud-init, the providers' agents) may
 * reach it, from every boot on, before PHP-FPM and Caddy start.
 */
const METADATA_GUARD = `[Unit]
Description=MokoWaaS: only root reaches the cloud metadata service (it holds the SSH host key)
Before=php8.3-fpm.service caddy.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'iptables -C OUTPUT -d 169.254.169.254 -m owner ! --uid-owner 0 -j REJECT 2>/dev/null || iptables -I OUTPUT 1 -d 169.254.169.254 -m owner ! --uid-owner 0 -j REJECT'

[Install]
WantedBy=multi-user.target
`;

export function cloudInit(opts: { hostname: string; hostKey: HostKeyPair }): string {
    const doc = {
        hostname: opts.hostname.split(".")[0],
        fqdn: opts.hostname,
        // The image's host keys go; ours is the only one (no other type is generated), so the
        // key every connection pins is the one sshd presents.
        ssh_deletekeys: true,
        ssh_genkeytypes: ["ed25519"],
        ssh_keys: { ed25519_private: opts.hostKey.privateKey, ed25519_public: opts.hostKey.publicKey },
        package_update: true,
        package_upgrade: true,
        packages: SERVER_PACKAGES,
        write_files: [
            { path: "/etc/mysql/mysql.conf.d/zz-mokowaas.cnf", permissions: "0644", content: MYSQL_CNF },
            { path: "/etc/apt/apt.conf.d/20auto-upgrades", permissions: "0644", content: AUTO_UPGRADES },
            { path: "/etc/ssh/sshd_config.d/50-mokowaas.conf", permissions: "0644", content: SSHD },
            { path: "/etc/systemd/system/mokowaas-metadata-guard.service", permissions: "0644", content: METADATA_GUARD },
        ],
        runcmd: [
            ["systemctl", "enable", "--now", "mokowaas-metadata-guard.service"],
            ["systemctl", "restart", "mysql"],
            ["systemctl", "enable", "--now", "php8.3-fpm", "caddy", "unattended-upgrades"],
            ["systemctl", "reload", "ssh"],
        ],
    };
    return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
