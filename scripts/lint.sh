#!/usr/bin/env bash
# `npm run lint`: ESLint with typescript-eslint's type-aware rules over the control plane's
# TypeScript (eslint.config.mjs), then Mago's static analyser and linter over the data plane's PHP
# in runtime/ (mago.toml). Any finding fails. `npm test` runs this first when it runs every tier.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
npx --no-install eslint --max-warnings 0 . || status=1
mago=$(bash scripts/install-mago.sh) # the cached binary; built once when missing
# Mago fails only on errors by default; a warning, note or help (e.g. an unmatched @mago-expect)
# fails here too, since nothing is baselined.
"$mago" lint --minimum-fail-level note || status=1
"$mago" analyze --minimum-fail-level note || status=1
exit "$status"
