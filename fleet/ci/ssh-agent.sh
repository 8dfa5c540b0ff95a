#!/usr/bin/env bash
# CI: starts an ssh-agent holding SSH_PRIVATE_KEY and trusts SSH_KNOWN_HOSTS, for the MySQL tunnels
# fleet opens to each platform. The key never touches the disk. Later steps find the agent through
# SSH_AUTH_SOCK, exported via the forge's env file (GITHUB_ENV; Gitea's act_runner provides it too).
set -euo pipefail
if [ -z "${SSH_PRIVATE_KEY:-}" ]; then
  echo "ssh-agent: SSH_PRIVATE_KEY is not set: tenants on remote platforms will fail to open their tunnel (local-only runs are fine)" >&2
  exit 0
fi
install -d -m 700 "$HOME/.ssh"
if [ -n "${SSH_KNOWN_HOSTS:-}" ]; then
  printf '%s\n' "$SSH_KNOWN_HOSTS" >> "$HOME/.ssh/known_hosts"
  chmod 600 "$HOME/.ssh/known_hosts"
else
  echo "ssh-agent: SSH_KNOWN_HOSTS is not set: the tunnel's host key check will refuse unknown servers" >&2
fi
sock="${RUNNER_TEMP:-/tmp}/ssh-agent-$$.sock"
eval "$(ssh-agent -s -a "$sock")" >/dev/null
printf '%s\n' "$SSH_PRIVATE_KEY" | ssh-add - 2>/dev/null
{
  echo "SSH_AUTH_SOCK=$SSH_AUTH_SOCK"
  echo "SSH_AGENT_PID=$SSH_AGENT_PID"
} >> "$GITHUB_ENV"
echo "ssh-agent: key loaded ($(ssh-add -l | wc -l) identity)"
