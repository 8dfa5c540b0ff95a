#!/usr/bin/env bash
# `npm test`: every test tier (unit, provider, runtime, e2e). Installs what a fresh machine lacks
# first: node modules, the Debian packages the runtime tier runs, and the Pulumi engine for e2e
# (a cold build of the CLI from Go modules takes about 16 minutes; later runs reuse the cache).
# An engine that cannot be built never fails the test command: the e2e tests that need a missing
# part skip and name it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/install-test-deps.sh
bash scripts/install-pulumi.sh || echo "test: scripts/install-pulumi.sh failed (exit $?); e2e tests that need the engine will skip (see .cache/pulumi/logs)" >&2
exec npx vitest run "$@"
