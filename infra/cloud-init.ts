/**
 * cloud-init user data for a new Ubuntu 24.04 platform server. It only installs and configures
 * packages: it holds no secret (user data is stored in Pulumi state and in the provider's API),
 * and everything platform-specific is done afterwards over SSH by infra/platform.ts.
 */
import { stringify } from "yaml";

/** PHP 8.3 with the extensions Joomla 6 needs or uses (see reference/joomla6.md). */
export const PHP_PACKAGES = [
    "php8.3-fpm", "php8.3-cli", "php8.3-mysql", "php8.3-xml", "php8.3-mbstring", "php8.3-curl",
    "php8.3-zip", "php8.3-intl", "php8.3-gd", "php8.3-opcache", "php8.3-bcmath",
];

export const SERVER_PACKAGES = [
    "mysql-server", ...PHP_PACKAGES, "caddy", "borgbackup", "unattended-upgrades",
    "curl", "unzip", "zstd", "ca-certificates",
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

export function cloudInit(opts: { hostname: string }): string {
    const doc = {
        hostname: opts.hostname.split(".")[0],
        fqdn: opts.hostname,
        package_update: true,
        package_upgrade: true,
        packages: SERVER_PACKAGES,
        write_files: [
            { path: "/etc/mysql/mysql.conf.d/zz-mokowaas.cnf", permissions: "0644", content: MYSQL_CNF },
            { path: "/etc/apt/apt.conf.d/20auto-upgrades", permissions: "0644", content: AUTO_UPGRADES },
            { path: "/etc/ssh/sshd_config.d/50-mokowaas.conf", permissions: "0644", content: SSHD },
        ],
        runcmd: [
            ["systemctl", "restart", "mysql"],
            ["systemctl", "enable", "--now", "php8.3-fpm", "caddy", "unattended-upgrades"],
            ["systemctl", "reload", "ssh"],
        ],
    };
    return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
