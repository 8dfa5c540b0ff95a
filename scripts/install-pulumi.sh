#!/usr/bin/env bash
# Provides the real Pulumi engine for the e2e tier: the CLI, the Node.js language host and the
# command, random and mysql resource plugins, at exactly the versions node_modules' SDKs expect.
# Order per part: what is already there (cache or PATH) -> the official installer / plugin download
# -> a build from the Go module proxy. Parts that no registry here serves are reported as BLOCKED
# with the exact error; nothing stands in for them. Idempotent: a second run only checks the cache.
#
# Writes $PULUMI_HOME/env.sh (source it) and $PULUMI_HOME/toolchain.txt (one line per part:
# name<TAB>ok|blocked<TAB>detail), read by test/e2e/toolchain.test.ts. See docs/pulumi-toolchain.md.
#
# Usage: scripts/install-pulumi.sh [--strict]   (--strict: exit 2 when any part is blocked)
# Env: PULUMI_HOME (default <repo>/.cache/pulumi), PULUMI_BUILD_JOBS (go build -p, default 2),
#      PULUMI_INSTALL_OFFLINE=1 (skip the official download attempts).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STRICT=0
case "${1:-}" in --strict) STRICT=1 ;; "") ;; *) echo "usage: $0 [--strict]" >&2; exit 64 ;; esac

export PULUMI_HOME=${PULUMI_HOME:-$ROOT/.cache/pulumi}
export PULUMI_SKIP_UPDATE_CHECK=1
BIN=$PULUMI_HOME/bin
LOGS=$PULUMI_HOME/logs
STATUS=$PULUMI_HOME/toolchain.txt
JOBS=${PULUMI_BUILD_JOBS:-2}
mkdir -p "$BIN" "$LOGS"

log() { printf 'install-pulumi: %s\n' "$*"; }
die() { printf 'install-pulumi: ERROR: %s\n' "$*" >&2; exit 1; }

# One installer at a time per PULUMI_HOME (parallel test workers, several shells).
exec 9>"$PULUMI_HOME/.install.lock"
flock 9

# The versions the SDKs in node_modules ask for (a provider SDK names its plugin version in
# package.json "pulumi.version").
sdk_field() { # package field
  node -e 'const p=require(process.argv[1]); const v=process.argv[2].split(".").reduce((o,k)=>o&&o[k],p);
           if(!v){process.exit(1)} console.log(v)' "$ROOT/node_modules/$1/package.json" "$2" 2>/dev/null \
    || die "cannot read $2 from node_modules/$1/package.json (run npm ci first)"
}
CLI_VERSION=$(sdk_field @pulumi/pulumi version)
declare -A PLUGIN_VERSION=(
  [command]=$(sdk_field @pulumi/command pulumi.version)
  [random]=$(sdk_field @pulumi/random pulumi.version)
  [mysql]=$(sdk_field @pulumi/mysql pulumi.version)
)
for name in command random mysql; do
  [ -n "${PLUGIN_VERSION[$name]}" ] || die "no pulumi.version in node_modules/@pulumi/$name/package.json (run npm ci first)"
done
# Go modules holding each plugin's main package (docs/pulumi-toolchain.md says why these paths).
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
declare -A PLUGIN_MODULE=(
  [command]=github.com/pulumi/pulumi-command/provider
  [random]=github.com/pulumi/pulumi-random/provider/v4
  [mysql]=github.com/pulumi/pulumi-mysql/provider/v3
)

: >"$STATUS.tmp"
status() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$STATUS.tmp"; }
BLOCKED=0
blocked() { BLOCKED=1; status "$1" blocked "$2"; log "BLOCKED $1: $2"; }

version_of() { PULUMI_SKIP_UPDATE_CHECK=1 "$1" version 2>/dev/null | tr -d '[:space:]'; }

# ---------------------------------------------------------------- CLI
CLI=""
CLI_SOURCE=""
if [ -x "$BIN/pulumi" ] && [ "$(version_of "$BIN/pulumi")" = "v$CLI_VERSION" ]; then
  CLI=$BIN/pulumi; CLI_SOURCE="cached in $BIN"
elif command -v pulumi >/dev/null && [ "$(version_of "$(command -v pulumi)")" = "v$CLI_VERSION" ]; then
  CLI=$(command -v pulumi); CLI_SOURCE="already on PATH"
fi

# The official download site (installer, release tarballs, plugins), probed once per run.
OFFICIAL_ERROR=""
official_reachable() {
  [ "${PULUMI_INSTALL_OFFLINE:-0}" = 1 ] && { OFFICIAL_ERROR="skipped (PULUMI_INSTALL_OFFLINE=1)"; return 1; }
  if [ -z "${OFFICIAL_CHECKED:-}" ]; then
    OFFICIAL_CHECKED=1
    OFFICIAL_ERROR=$(curl -fsS --connect-timeout 5 --max-time 15 -o /dev/null https://get.pulumi.com/ 2>&1) && OFFICIAL_ERROR=""
  fi
  [ -z "$OFFICIAL_ERROR" ]
}

try_official_cli() {
  official_reachable || { log "official installer unreachable: $OFFICIAL_ERROR"; return 1; }
  local script stage
  script=$(mktemp); stage=$(mktemp -d)
  if curl -fsSL --connect-timeout 5 --max-time 60 https://get.pulumi.com/ -o "$script" 2>"$LOGS/official-cli.log" \
     && timeout 600 sh "$script" --version "$CLI_VERSION" --install-root "$stage" --no-edit-path >>"$LOGS/official-cli.log" 2>&1 \
     && [ "$(version_of "$stage/bin/pulumi")" = "v$CLI_VERSION" ]; then
    cp -a "$stage/bin/." "$BIN/"   # the release tarball ships the language hosts beside the CLI
    rm -rf "$script" "$stage"; return 0
  fi
  log "official installer failed: see $LOGS/official-cli.log"
  rm -rf "$script" "$stage"; return 1
}

# Builds the CLI's main package from the wrapper module tools/pulumi/cli (pinned go.mod/go.sum).
build_cli() {
  command -v go >/dev/null || { log "no go toolchain: cannot build the CLI"; return 1; }
  local mod=$ROOT/tools/pulumi/cli pinned
  pinned=$(awk '$1=="github.com/pulumi/pulumi/pkg/v3"{print $2}' "$mod/go.mod")
  [ "$pinned" = "v$CLI_VERSION" ] || die "tools/pulumi/cli/go.mod pins pkg/v3 $pinned but node_modules/@pulumi/pulumi is $CLI_VERSION:
  cd tools/pulumi/cli && go get -tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$CLI_VERSION && go mod tidy"
  log "building the CLI v$CLI_VERSION from Go modules (cold: tens of minutes on 2 cores; log: $LOGS/build-cli.log)"
  local start=$SECONDS
  if ! (cd "$mod" && GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go build -p "$JOBS" -trimpath \
          -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" \
          -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >"$LOGS/build-cli.log" 2>&1; then
    rm -f "$BIN/pulumi.tmp"
    log "CLI build failed: $(tail -n3 "$LOGS/build-cli.log" | tr '\n' ' ')"
    return 1
  fi
  mv -f "$BIN/pulumi.tmp" "$BIN/pulumi"
  log "built the CLI in $((SECONDS - start)) s"
}

if [ -z "$CLI" ]; then
  if try_official_cli; then
    CLI=$BIN/pulumi; CLI_SOURCE="official installer"
  elif build_cli; then
    CLI=$BIN/pulumi; CLI_SOURCE="built from Go modules (tools/pulumi/cli)"
  fi
fi
if [ -n "$CLI" ]; then
  status cli ok "$CLI $CLI_VERSION ($CLI_SOURCE)"
  log "CLI v$CLI_VERSION: $CLI ($CLI_SOURCE)"
else
  blocked cli "no pulumi v$CLI_VERSION on PATH, the official installer failed and no Go build succeeded (see $LOGS)"
fi
CLI_DIR=$(dirname "${CLI:-$BIN/pulumi}")

# ---------------------------------------------------------------- Go-module probe
# The module proxy here serves an allow-list: ask it for the module's version list once and keep
# its exact answer as the reason when it refuses.
probe_module() { # module -> prints go's error and returns 1 when the proxy refuses the module
  command -v go >/dev/null || { echo "no go toolchain"; return 1; }
  local out
  if out=$(cd "$PULUMI_HOME" && GOFLAGS=-mod=mod timeout 60 go list -m -versions "$1" 2>&1); then return 0; fi
  printf '%s' "$out" | tr '\n' ' ' | sed 's/[[:space:]]\+/ /g'
  return 1
}

# ---------------------------------------------------------------- Node.js language host
# Needed by `pulumi up` in a project directory. Automation API inline programs do not need it:
# the CLI connects (--client) to the language runtime inside @pulumi/pulumi itself.
LANGHOST=""
if [ -x "$CLI_DIR/pulumi-language-nodejs" ]; then LANGHOST=$CLI_DIR/pulumi-language-nodejs
elif command -v pulumi-language-nodejs >/dev/null; then LANGHOST=$(command -v pulumi-language-nodejs)
fi
if [ -n "$LANGHOST" ]; then
  status language-nodejs ok "$LANGHOST"
  log "Node.js language host: $LANGHOST"
elif reason=$(probe_module "$LANGHOST_MODULE"); then
  blocked language-nodejs "$LANGHOST_MODULE is served by the Go proxy now: add a wrapper module tools/pulumi/language-nodejs pinned at the v$CLI_VERSION release commit"
else
  blocked language-nodejs "go list -m -versions $LANGHOST_MODULE: $reason (no pulumi-language-nodejs on PATH either; Automation API inline programs still run)"
fi

# ---------------------------------------------------------------- resource plugins
plugin_installed() { # name version
  [ -n "$CLI" ] && "$CLI" plugin ls --json 2>/dev/null | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{
      const ok=(JSON.parse(s||"[]")||[]).some(p=>p.kind==="resource"&&p.name===process.argv[1]&&p.version===process.argv[2]);
      process.exit(ok?0:1)})' "$1" "$2"
}
for name in command random mysql; do
  version=${PLUGIN_VERSION[$name]}
  if plugin_installed "$name" "$version"; then
    status "plugin-$name" ok "resource $name v$version"
    log "plugin $name v$version: installed"
    continue
  fi
  if [ -z "$CLI" ]; then blocked "plugin-$name" "needs the CLI"; continue; fi
  if official_reachable && timeout 180 "$CLI" plugin install resource "$name" "$version" >"$LOGS/plugin-$name.log" 2>&1 \
     && plugin_installed "$name" "$version"; then
    status "plugin-$name" ok "resource $name v$version (official download)"
    log "plugin $name v$version: downloaded"
    continue
  fi
  if [ -n "$OFFICIAL_ERROR" ]; then download_error="official download site: $OFFICIAL_ERROR"
  else download_error="pulumi plugin install: $(grep -i 'error' "$LOGS/plugin-$name.log" | tail -n1)"; fi
  if reason=$(probe_module "${PLUGIN_MODULE[$name]}"); then
    blocked "plugin-$name" "${PLUGIN_MODULE[$name]} is served by the Go proxy now: add a wrapper module tools/pulumi/$name pinned at the v$version release commit"
  else
    blocked "plugin-$name" "$download_error; go list -m -versions ${PLUGIN_MODULE[$name]}: $reason"
  fi
done

# ---------------------------------------------------------------- dynamic-provider host
# pulumi-resource-pulumi-nodejs ships in @pulumi/pulumi; link it beside the CLI so the engine finds
# it even when a caller only puts $PULUMI_HOME/bin on PATH.
DYN=$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs
if [ -x "$DYN" ]; then
  ln -sfn "$DYN" "$BIN/pulumi-resource-pulumi-nodejs"
  status dynamic-provider-host ok "$DYN"
else
  blocked dynamic-provider-host "$DYN missing or not executable (run npm ci)"
fi

# ---------------------------------------------------------------- env file
PATH_PREFIX=$BIN:$ROOT/node_modules/@pulumi/pulumi
[ "$CLI_DIR" = "$BIN" ] || PATH_PREFIX=$CLI_DIR:$PATH_PREFIX
cat >"$PULUMI_HOME/env.sh.tmp" <<EOF
# Written by scripts/install-pulumi.sh: source it to use the engine it installed.
export PULUMI_HOME="$PULUMI_HOME"
export PATH="$PATH_PREFIX:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EOF
mv -f "$PULUMI_HOME/env.sh.tmp" "$PULUMI_HOME/env.sh"
mv -f "$STATUS.tmp" "$STATUS"

log "status: $STATUS"
log "to use it:  source $PULUMI_HOME/env.sh"
sed 's/^/  /' "$PULUMI_HOME/env.sh" | grep export
if [ "$BLOCKED" = 1 ]; then
  log "some parts are BLOCKED (listed above); e2e tests that need them skip with these reasons"
  [ "$STRICT" = 1 ] && exit 2
fi
exit 0
