#!/usr/bin/env bash
# `npm run local [-- up|down|status]`: this machine as a MokoWaaS server with two demo tenants
# (docs/local.md). `up` (the default) first runs scripts/setup.sh: it checks every input in seconds,
# then installs what a fresh machine lacks (node modules, Debian packages, PHP >= 8.3, Oracle MySQL,
# the Joomla package, the Pulumi engine). An incomplete engine is not an error here: scripts/local.ts
# then says so loudly and provisions without Pulumi.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-up}" = up ]; then
  [ -d node_modules ] || npm ci --no-audit --no-fund
  bash scripts/setup.sh
fi
exec npx tsx scripts/local.ts "$@"
