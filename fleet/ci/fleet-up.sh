#!/usr/bin/env bash
# CI, after a merge to main: `fleet up --changed BEFORE..HEAD` over what the push brought in, or,
# for a manual run, `fleet up` of one tenant (TENANT) or of every tenant. Inputs come from the
# environment (EVENT, BEFORE, TENANT), never spliced into the script.
set -euo pipefail
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
if [ "${EVENT:-push}" = "workflow_dispatch" ]; then
  if [ -n "${TENANT:-}" ]; then
    args=(up --tenant "$TENANT")
  else
    args=(up)
  fi
else
  # A new branch has no BEFORE (all zeros): take the last commit alone.
  if [ -z "${BEFORE:-}" ] || [ "$BEFORE" = "0000000000000000000000000000000000000000" ]; then
    BEFORE=$(git rev-parse HEAD~1)
  fi
  args=(up --changed "$BEFORE..HEAD")
fi
echo "fleet-up: npm run fleet -- ${args[*]}" >&2
set +e
npm run --silent fleet -- "${args[@]}" --markdown > fleet.md
code=$?
set -e
cat fleet.md
cat fleet.md >> "$summary" 2>/dev/null || true
exit "$code"
