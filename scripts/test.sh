#!/usr/bin/env bash
# `npm test`: every test tier (unit, provider, runtime, e2e). Installs what a fresh machine lacks
# first: node modules, the Debian packages the runtime tier runs, and the Pulumi engine for e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/install-test-deps.sh
exec npx vitest run "$@"
