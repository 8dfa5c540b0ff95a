#!/usr/bin/env bash
# Mago (a PHP linter and static analyser, written in Rust) for `npm run lint`: a dev tool only,
# never installed on servers. PHPStan and Psalm are published only through Composer/GitHub; Mago
# is a crate, so it is built here by cargo from the pinned version below:
#   1. cargo fetches the crate (cargo checks it against the registry index);
#   2. its sha256 must equal MAGO_SHA256 (recorded here, so a changed upload is refused);
#   3. it is built with --locked from the Cargo.lock inside that verified crate, so every
#      dependency is pinned by checksum too.
# Cold: about 15 minutes of compiling on two cores; warm: nothing to do. Installs to $MOKOWAAS_CACHE/mago-VERSION.
#
# Usage: scripts/install-mago.sh [--check]   prints the mago binary's path (progress goes to stderr)
#        --check: say where mago would come from, install nothing
set -euo pipefail
# shellcheck source=lib/paths.sh
source "$(dirname "$0")/lib/paths.sh"
MAGO_VERSION=1.29.0 # the newest whose rust-version this machine's Rust (1.95) meets
MAGO_SHA256=6d5e3a9dabb8d78d3a192b14052eef2a29ca08024cfa38e04992d1b12e9acb09
PREFIX=$MOKOWAAS_CACHE/mago-$MAGO_VERSION
MAGO=$PREFIX/bin/mago
export PATH=$PATH:${CARGO_HOME:-$HOME/.cargo}/bin

installed() { [ -x "$MAGO" ] && [ -f "$PREFIX/.verified" ] && "$MAGO" --version >/dev/null 2>&1; }

if [ "${1:-}" = --check ]; then
  if installed; then echo "mago $MAGO_VERSION: ok (cache)"; exit 0; fi
  if command -v cargo >/dev/null; then echo "mago $MAGO_VERSION: will be built with cargo"; exit 0; fi
  echo "mago $MAGO_VERSION (PHP static analysis for npm run lint): not in $PREFIX and no cargo to build it: install Rust (cargo), e.g. Debian's cargo package or rustup" >&2
  exit 1
fi
if installed; then echo "$MAGO"; exit 0; fi
exec 3>&1 1>&2 # progress to stderr: stdout is the path

# Kept until the build succeeds, so an interrupted build resumes where it stopped.
work=$MOKOWAAS_CACHE/mago-build
mkdir -p "$work"
echo "install-mago: fetching mago $MAGO_VERSION"
# A throwaway manifest that depends on exactly this version: `cargo fetch` downloads it.
mkdir -p "$work/fetch/src"; : >"$work/fetch/src/lib.rs"
printf '[package]\nname = "fetch-mago"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nmago = "=%s"\n' "$MAGO_VERSION" >"$work/fetch/Cargo.toml"
cargo fetch --quiet --manifest-path "$work/fetch/Cargo.toml"
crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"mago-$MAGO_VERSION.crate" | head -n1)
sum=$(sha256sum "$crate" | cut -d' ' -f1)
if [ "$sum" != "$MAGO_SHA256" ]; then
  echo "install-mago: $crate has sha256 $sum, expected $MAGO_SHA256 (scripts/install-mago.sh): refusing to build it" >&2
  exit 1
fi
rm -rf "${work:?}/mago-$MAGO_VERSION"; tar -xzf "$crate" -C "$work"
echo "install-mago: building mago $MAGO_VERSION (about 15 minutes when cold)"
# Its release profile (fat LTO, one codegen unit) takes most of an hour on two cores; a lint run
# over runtime/ takes about two seconds either way, so build it plainly optimised.
CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
  CARGO_TARGET_DIR=$work/target cargo install --quiet --locked --path "$work/mago-$MAGO_VERSION" --root "$work/root"
rm -rf "$PREFIX"; mkdir -p "$PREFIX"
mv "$work/root/bin" "$PREFIX/bin"
echo "$MAGO_SHA256  mago-$MAGO_VERSION.crate" >"$PREFIX/.verified"
rm -rf "$work"
"$MAGO" --version
echo "$MAGO" >&3
