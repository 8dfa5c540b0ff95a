#!/usr/bin/env bash
# `npm run local [-- up|down|status]`: this machine as a MokoWaaS server with two demo tenants
# (docs/local.md). `up` (the default) first installs what a fresh machine lacks: node modules, the
# Debian packages (MariaDB, PHP-FPM, Caddy, ...) and the Pulumi engine. An engine that cannot be
# installed is not an error here: scripts/local.ts then says so and provisions without Pulumi.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-up}" = up ]; then
  [ -d node_modules ] || npm ci --no-audit --no-fund
  bash scripts/install-test-deps.sh
  bash scripts/install-pulumi.sh || echo "local: scripts/install-pulumi.sh failed (exit $?); continuing, see .cache/pulumi/logs" >&2
fi
exec npx tsx scripts/local.ts "$@"
