#!/usr/bin/env bash
# Everything the README's two commands need on this machine, in two phases:
#   1. check every input, in seconds: each artifact must be obtainable from at least one source,
#      else ONE message names every missing artifact and the ways to provide it (nothing installed);
#   2. install what is missing: Debian packages, PHP >= 8.3 (with FPM), Oracle MySQL, the Joomla
#      Full Packages, the Pulumi engine (scripts/install-pulumi.sh); then write .cache/toolchain.json.
# Sources per artifact, in order: installed or cached -> the official source when reachable -> the
# artifact mirror (MOKOWAAS_MIRROR, default ../shared/offline) -> the error above. Every artifact is
# checksum-verified against the source it came from. Idempotent: a second run takes seconds.
#
# Usage: scripts/setup.sh [--check]     --check: phase 1 only
# Env:   MOKOWAAS_STRICT=1   a missing Pulumi engine part is an error (CI); otherwise e2e tests skip
#        MOKOWAAS_CACHE, MOKOWAAS_MIRROR (scripts/lib/paths.sh), MOKOWAAS_OFFLINE=1 (skip official sources)
set -euo pipefail
# shellcheck source=lib/paths.sh
source "$(dirname "$0")/lib/paths.sh"
cd "$MOKOWAAS_REPO"
CHECK_ONLY=0
case "${1:-}" in --check) CHECK_ONLY=1 ;; "") ;; *) echo "usage: $0 [--check]" >&2; exit 64 ;; esac
STRICT=${MOKOWAAS_STRICT:-0}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
log() { printf 'setup: %s\n' "$*"; }
PROBLEMS=()
problem() { PROBLEMS+=("$*"); }
mkdir -p "$MOKOWAAS_CACHE" "$MOKOWAAS_REPO/.cache"
[ "$(id -u)" -ne 0 ] || chmod 755 "$MOKOWAAS_CACHE"

APT_PACKAGES=(caddy borgbackup openssh-server openssh-client patchelf zstd wrk git curl tar unzip ca-certificates)
JOOMLA_JSON=$MOKOWAAS_REPO/devenv/joomla-packages.json
PHP_PREFIX=$MOKOWAAS_CACHE/php-8.4
MYSQL_PREFIX=$MOKOWAAS_CACHE/mysql-9.7
JOOMLA_CACHE=$MOKOWAAS_CACHE/joomla

# ------------------------------------------------------------------ helpers
dpkg_has() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apt_candidate() { command -v apt-cache >/dev/null && apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/{print $2}' | grep -qv '(none)'; }
# The official hosts are probed once each (4 s connect, 8 s at most).
reachable() { # url -> "ok" or curl's error
  if [ "${MOKOWAAS_OFFLINE:-0}" = 1 ]; then echo "skipped (MOKOWAAS_OFFLINE=1)"; return; fi
  curl -fsS -I --connect-timeout 4 --max-time 8 -o /dev/null "$1" 2>&1 | tr '\n' ' ' | sed 's/ *$//' ; [ "${PIPESTATUS[0]}" != 0 ] || echo ok
}
mirror_sum() { # folder file -> the mirror's sha512 of folder/file, empty when absent
  [ -n "$MOKOWAAS_MIRROR" ] && [ -f "$MOKOWAAS_MIRROR/$1/SHA512SUMS" ] && [ -f "$MOKOWAAS_MIRROR/$1/$2" ] || return 0
  awk -v f="$2" '$2==f || $2=="*"f {print $1}' "$MOKOWAAS_MIRROR/$1/SHA512SUMS"
}
sha512_of() { sha512sum "$1" | cut -d' ' -f1; }
json_get() { node -e 'const j=require(process.argv[1]);const v=process.argv[2].split("/").reduce((o,k)=>o==null?o:o[k],j);if(v!=null)console.log(Array.isArray(v)?v.join(" "):typeof v==="object"?Object.keys(v).join(" "):v)' "$@"; }

# PHP >= 8.3 with its FPM, first match wins: the cache prefix, then the system's.
php_found() { # prints "php-binary fpm-binary source"
  if [ -x "$PHP_PREFIX/bin/php" ] && [ -f "$PHP_PREFIX/.php84-install" ] && "$PHP_PREFIX/bin/php" -r 'exit(0);' 2>/dev/null; then
    echo "$PHP_PREFIX/bin/php $PHP_PREFIX/bin/php-fpm cache"; return 0
  fi
  local v php fpm
  for v in 8.5 8.4 8.3; do
    php=$(command -v "php$v" || true); fpm=$(command -v "php-fpm$v" || ls "/usr/sbin/php-fpm$v" 2>/dev/null || true)
    if [ -n "$php" ] && [ -n "$fpm" ]; then echo "$php $fpm system"; return 0; fi
  done
  return 1
}
# Oracle MySQL >= 8.0 (not MariaDB: @pulumi/mysql cannot drive MariaDB >= 10.10, see docs/providers.md).
mysql_found() { # prints "bin-dir source"
  if [ -x "$MYSQL_PREFIX/bin/mysqld" ] && [ -f "$MYSQL_PREFIX/.mysql-install" ] && "$MYSQL_PREFIX/bin/mysqld" --version >/dev/null 2>&1; then
    echo "$MYSQL_PREFIX/bin cache"; return 0
  fi
  local d=/usr/sbin
  if [ -x "$d/mysqld" ] && "$d/mysqld" --version 2>/dev/null | grep -v MariaDB | grep -Eq 'Ver (8|9)\.'; then
    [ -x /usr/bin/mysql ] && [ -x /usr/bin/mysqldump ] && { echo "/usr/bin system"; return 0; }
  fi
  return 1
}

# ------------------------------------------------------------------ phase 1: check
log "checking every input (cache $MOKOWAAS_CACHE, mirror ${MOKOWAAS_MIRROR:-none})"
# The engine's own check runs meanwhile (it probes the Pulumi download site).
engine_out=$(mktemp); trap 'rm -f "$engine_out"' EXIT
if [ -d node_modules/@pulumi/pulumi ]; then (bash scripts/install-pulumi.sh --check >"$engine_out" 2>&1; echo "rc=$?" >>"$engine_out") & fi
GITHUB=$(reachable https://github.com/)

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do dpkg_has "$p" || missing_apt+=("$p"); done
if [ ${#missing_apt[@]} -gt 0 ] && ! command -v apt-get >/dev/null; then
  problem "Debian packages ${missing_apt[*]}: missing and there is no apt-get here: install them with your package manager"
fi

declare -A JOOMLA_SOURCE=()
for v in $(json_get "$JOOMLA_JSON" packages); do
  file=$(json_get "$JOOMLA_JSON" "packages/$v/file"); url=$(json_get "$JOOMLA_JSON" "packages/$v/url"); sum=$(json_get "$JOOMLA_JSON" "packages/$v/sha512" || true)
  if [ -f "$JOOMLA_CACHE/$file" ] && [ -f "$JOOMLA_CACHE/$file.sha512" ] && [ "$(sha512_of "$JOOMLA_CACHE/$file")" = "$(cut -d' ' -f1 "$JOOMLA_CACHE/$file.sha512")" ]; then
    JOOMLA_SOURCE[$v]=cache
  elif [ -n "$sum" ] && [ "$GITHUB" = ok ]; then
    JOOMLA_SOURCE[$v]=official
  elif [ -n "$(mirror_sum joomla "$file")" ]; then
    JOOMLA_SOURCE[$v]=mirror
  else
    why_official=$([ -n "$sum" ] && echo "official download unreachable ($GITHUB)" || echo "no published checksum recorded in devenv/joomla-packages.json to verify the official download")
    problem "Joomla $v ($file): not in the cache ($JOOMLA_CACHE), $why_official, no mirror copy (MOKOWAAS_MIRROR=${MOKOWAAS_MIRROR:-<unset>} has no joomla/$file listed in joomla/SHA512SUMS).
    Provide it one of three ways: put it in $JOOMLA_CACHE/ with a '$file.sha512' file holding its checksum; let this machine reach $url (and record its published sha512); or point MOKOWAAS_MIRROR at a mirror holding joomla/$file and joomla/SHA512SUMS"
  fi
done

PHP_SOURCE=""
if php_found >/dev/null; then PHP_SOURCE=found
elif apt_candidate php8.4-fpm || apt_candidate php8.3-fpm; then PHP_SOURCE=apt
elif [ -n "$MOKOWAAS_MIRROR" ] && [ -x "$MOKOWAAS_MIRROR/php/install.sh" ]; then PHP_SOURCE=mirror
else
  problem "PHP >= 8.3 with PHP-FPM (Joomla 6's minimum): none installed, no php8.3-fpm/php8.4-fpm in the package lists, no mirror php/install.sh (MOKOWAAS_MIRROR=${MOKOWAAS_MIRROR:-<unset>}).
    Provide it one of three ways: install php8.3 or newer with fpm, mysql, xml, mbstring, curl, zip, intl, gd (e.g. Debian 13 / Ubuntu 24.04 packages); add a package source that has them; or point MOKOWAAS_MIRROR at a mirror holding php/install.sh"
fi

MYSQL_SOURCE=""
if mysql_found >/dev/null; then MYSQL_SOURCE=found
elif [ -n "$MOKOWAAS_MIRROR" ] && [ -x "$MOKOWAAS_MIRROR/mysql/install.sh" ]; then MYSQL_SOURCE=mirror
else
  problem "Oracle MySQL 8.0 or newer (server and client): none installed and no mirror mysql/install.sh (MOKOWAAS_MIRROR=${MOKOWAAS_MIRROR:-<unset>}); MariaDB does not qualify (docs/providers.md).
    Provide it one of three ways: install MySQL 8.0+ (mysqld in /usr/sbin, mysql and mysqldump in /usr/bin, e.g. Ubuntu's mysql-server); install it from Oracle's repository; or point MOKOWAAS_MIRROR at a mirror holding mysql/install.sh"
fi

# Mago, the PHP static analyser `npm run lint` runs (scripts/install-mago.sh builds it with cargo).
mago_check=$(bash scripts/install-mago.sh --check 2>&1) || problem "$mago_check"

wait
if [ ! -d node_modules/@pulumi/pulumi ]; then
  problem "node_modules: missing: run npm ci first (scripts/test.sh and scripts/local.sh do)"
elif grep -qx 'rc=0' "$engine_out"; then
  grep -v '^rc=' "$engine_out" | grep -qv ' ok' && { log "the Pulumi engine will come from:"; grep -v '^rc=' "$engine_out" | grep -v ' ok'; }
else
  engine_check=$(grep -v '^rc=' "$engine_out" | sed 's/^/    /')
  if [ "$STRICT" = 1 ]; then problem "Pulumi engine (MOKOWAAS_STRICT=1: every part is required):
$engine_check"
  else log "warning: parts of the Pulumi engine cannot be had; the e2e tests that need them will skip:"; echo "$engine_check"; fi
fi

if [ ${#PROBLEMS[@]} -gt 0 ]; then
  {
    echo "setup: cannot provide everything the tests and the local platform need; nothing was installed:"
    for p in "${PROBLEMS[@]}"; do echo "  - $p"; done
  } >&2
  exit 1
fi
log "every input is available"
[ "$CHECK_ONLY" = 1 ] && exit 0

# ------------------------------------------------------------------ phase 2: install
start=$SECONDS
if [ ${#missing_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start their system services: the tests and npm run local start their own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d; rm -f "$engine_out"' EXIT
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

case $PHP_SOURCE in
  apt)
    v=8.4; apt_candidate php8.4-fpm || v=8.3
    log "installing PHP $v from the package lists"
    $SUDO apt-get install -y -qq --no-install-recommends "php$v-cli" "php$v-fpm" "php$v-mysql" "php$v-xml" "php$v-mbstring" \
      "php$v-curl" "php$v-zip" "php$v-intl" "php$v-gd" "php$v-opcache" >/dev/null ;;
  mirror)
    log "installing PHP 8.4 from the mirror into $PHP_PREFIX (checksums verified by its install.sh)"
    bash "$MOKOWAAS_MIRROR/php/install.sh" "$PHP_PREFIX" | sed 's/^/  /' ;;
esac
read -r PHP_BIN PHP_FPM PHP_FROM < <(php_found) || { echo "setup: PHP >= 8.3 with FPM is still missing after the install" >&2; exit 1; }
[ "$PHP_SOURCE" = found ] || PHP_FROM=$PHP_SOURCE

if [ "$MYSQL_SOURCE" = mirror ]; then
  log "installing MySQL 9.7 from the mirror into $MYSQL_PREFIX (checksums verified by its install.sh)"
  bash "$MOKOWAAS_MIRROR/mysql/install.sh" "$MYSQL_PREFIX" | sed 's/^/  /'
fi
read -r MYSQL_BIN MYSQL_FROM < <(mysql_found) || { echo "setup: MySQL is still missing after the install" >&2; exit 1; }
[ "$MYSQL_SOURCE" = found ] || MYSQL_FROM=$MYSQL_SOURCE
MYSQLD=$MYSQL_BIN/mysqld; [ -x "$MYSQLD" ] || MYSQLD=/usr/sbin/mysqld

mkdir -p "$JOOMLA_CACHE"
joomla_json="{}"
for v in $(json_get "$JOOMLA_JSON" packages); do
  file=$(json_get "$JOOMLA_JSON" "packages/$v/file"); url=$(json_get "$JOOMLA_JSON" "packages/$v/url"); sum=$(json_get "$JOOMLA_JSON" "packages/$v/sha512" || true)
  dest=$JOOMLA_CACHE/$file
  case ${JOOMLA_SOURCE[$v]} in
    official)
      log "downloading Joomla $v from $url"
      curl -fsSL --retry 3 -o "$dest.part" "$url"
      [ "$(sha512_of "$dest.part")" = "$sum" ] || { rm -f "$dest.part"; echo "setup: Joomla $v from $url: checksum mismatch (expected the published $sum)" >&2; exit 1; }
      mv -f "$dest.part" "$dest"; printf '%s  official %s\n' "$sum" "$url" >"$dest.sha512" ;;
    mirror)
      sum=$(mirror_sum joomla "$file")
      log "taking Joomla $v from the mirror ($MOKOWAAS_MIRROR/joomla/$file)"
      cp "$MOKOWAAS_MIRROR/joomla/$file" "$dest.part"
      [ "$(sha512_of "$dest.part")" = "$sum" ] || { rm -f "$dest.part"; echo "setup: Joomla $v in the mirror: checksum mismatch against its SHA512SUMS" >&2; exit 1; }
      mv -f "$dest.part" "$dest"; printf '%s  mirror %s\n' "$sum" "$MOKOWAAS_MIRROR/joomla/$file" >"$dest.sha512" ;;
  esac
  read -r sum from _ <"$dest.sha512"
  joomla_json=$(node -e 'const j=JSON.parse(process.argv[1]);j[process.argv[2]]={file:process.argv[3],sha512:process.argv[4],source:process.argv[5]};console.log(JSON.stringify(j))' \
    "$joomla_json" "$v" "$dest" "$sum" "$from")
done

pulumi_rc=0
bash scripts/install-pulumi.sh || pulumi_rc=$?
if [ "$pulumi_rc" -ne 0 ] && [ "$STRICT" = 1 ]; then
  echo "setup: the Pulumi engine is incomplete (scripts/install-pulumi.sh exit $pulumi_rc) and MOKOWAAS_STRICT=1" >&2
  exit 1
fi
bash scripts/install-mago.sh >/dev/null

node -e '
const [file, cache, mirror, php, fpm, phpFrom, mysqlBin, mysqld, mysqlFrom, joomla, pulumiHome] = process.argv.slice(1);
const { execFileSync } = require("node:child_process");
const phpVersion = execFileSync(php, ["-r", "echo PHP_VERSION;"], { encoding: "utf8" });
const out = {
  "$comment": "Written by scripts/setup.sh; read by devenv/toolchain.ts. Absolute paths of what the tests and npm run local use.",
  cache, mirror,
  php: { bin: php, fpm, version: phpVersion, source: phpFrom },
  mysql: { bin: mysqlBin, mysqld, mysql: mysqlBin + "/mysql", mysqldump: mysqlBin + "/mysqldump", source: mysqlFrom },
  joomla: JSON.parse(joomla),
  pulumiHome,
};
require("node:fs").writeFileSync(file + ".tmp", JSON.stringify(out, null, 2) + "\n");
require("node:fs").renameSync(file + ".tmp", file);
' "$MOKOWAAS_TOOLCHAIN_JSON" "$MOKOWAAS_CACHE" "$MOKOWAAS_MIRROR" "$PHP_BIN" "$PHP_FPM" "$PHP_FROM" "$MYSQL_BIN" "$MYSQLD" "$MYSQL_FROM" "$joomla_json" \
  "${PULUMI_HOME:-$MOKOWAAS_CACHE/pulumi}"
log "ready in $((SECONDS - start)) s: PHP $PHP_FROM ($PHP_BIN), MySQL $MYSQL_FROM ($MYSQL_BIN), Joomla $(json_get "$JOOMLA_JSON" packages); toolchain: $MOKOWAAS_TOOLCHAIN_JSON"
