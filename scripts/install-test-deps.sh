#!/usr/bin/env bash
# Installs the Debian packages the test tiers run for real (MariaDB, PHP-FPM, Caddy, Borg, OpenSSH,
# wrk for benchmarks). Idempotent: installs only what is missing. Needs root (or sudo) and apt.
set -euo pipefail
PHP=${PHP_VERSION:-8.2}
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in mariadb-server mariadb-client "php$PHP-cli" "php$PHP-fpm" "php$PHP-mysql" "php$PHP-xml" "php$PHP-mbstring" \
         "php$PHP-curl" "php$PHP-zip" "php$PHP-intl" "php$PHP-gd" "php$PHP-opcache" caddy borgbackup openssh-server openssh-client wrk git curl tar zstd unzip; do
  have "$p" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-deps: all test packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null; then
  echo "install-test-deps: missing packages (${need[*]}) and no apt-get: install them by hand" >&2
  exit 1
fi
echo "install-test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages must not start their system services: the tests start private instances themselves.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-test-deps: done"
