#!/usr/bin/env bash
# `npm test`: every test tier (unit, provider, runtime, e2e). scripts/setup.sh first checks that
# every input can be had (seconds) and installs what this machine lacks: Debian packages, PHP >= 8.3,
# Oracle MySQL, the Joomla Full Packages and the Pulumi engine (cold: about 35 min, mostly the Go
# builds of the engine; warm: seconds; see README "Tests").
# MOKOWAAS_STRICT=1 (set by .ci/run): a missing engine part or real-Joomla artifact fails the run
# instead of skipping the tests that need it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/setup.sh
# A full run (CI's) lints first: ESLint and Mago findings fail it like a failing test.
[ $# -gt 0 ] || bash scripts/lint.sh
exec npx vitest run "$@"
