#!/usr/bin/env bash
# Lints the CI workflows of both forges (.github/workflows, .gitea/workflows) with actionlint.
# actionlint comes from PATH, from .cache/bin, or is built here from the Go module proxy (needs
# `go`). Exit 0 clean, 1 lint findings, 3 actionlint unavailable (no binary and no go).
# `--install-only` just makes sure the binary is there and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${ACTIONLINT_VERSION:-v1.7.12}
BIN_DIR="$PWD/.cache/bin"

find_actionlint() {
  if [ -x "$BIN_DIR/actionlint" ] && "$BIN_DIR/actionlint" -version 2>/dev/null | head -1 | grep -qx "${VERSION}"; then
    echo "$BIN_DIR/actionlint"
  elif command -v actionlint >/dev/null 2>&1; then
    command -v actionlint
  fi
}

bin=$(find_actionlint)
if [ -z "$bin" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "lint-workflows: actionlint is not on PATH and go is missing to build it: install go or actionlint" >&2
    exit 3
  fi
  echo "lint-workflows: building actionlint $VERSION from the Go module proxy into .cache/bin" >&2
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" >&2
  bin="$BIN_DIR/actionlint"
fi
if [ "${1:-}" = "--install-only" ]; then
  echo "$bin"
  exit 0
fi

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml .gitea/workflows/*.yml .gitea/workflows/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "lint-workflows: no workflow files found" >&2
  exit 1
fi
# shellcheck/pyflakes integrations stay off when those tools are absent; actionlint finds them itself.
"$bin" -no-color "${files[@]}"
echo "lint-workflows: ${#files[@]} workflow file(s) clean ($("$bin" -version | head -1))"
