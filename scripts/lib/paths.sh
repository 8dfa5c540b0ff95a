# Sourced by the setup scripts: the one place that says where the project keeps what it installs
# and where the artifact mirror is. The TypeScript side reads the result from .cache/toolchain.json.
#
#   MOKOWAAS_CACHE   installed toolchains and verified artifacts, OUTSIDE the clone so every clone
#                    on this machine (CI's clean clones too) reuses them: PHP and MySQL prefixes,
#                    Joomla packages, PULUMI_HOME. Default /var/cache/mokowaas as root (world-
#                    traversable: PHP-FPM workers and tenant users run the PHP binary from it),
#                    else ${XDG_CACHE_HOME:-~/.cache}/mokowaas.
#   MOKOWAAS_MIRROR  an artifact mirror (the layout of ../shared/offline: joomla/, php/, mysql/,
#                    pulumi/, each with SHA512SUMS). Default ../shared/offline beside the clone when
#                    it exists; set it empty to use none.
MOKOWAAS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${MOKOWAAS_CACHE:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then MOKOWAAS_CACHE=/var/cache/mokowaas
  else MOKOWAAS_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mokowaas; fi
fi
if [ -z "${MOKOWAAS_MIRROR+set}" ]; then
  if [ -d "$MOKOWAAS_REPO/../shared/offline" ]; then MOKOWAAS_MIRROR=$(cd "$MOKOWAAS_REPO/../shared/offline" && pwd)
  else MOKOWAAS_MIRROR=""; fi
fi
export MOKOWAAS_CACHE MOKOWAAS_MIRROR
# The file every TypeScript entry point reads (devenv/toolchain.ts).
MOKOWAAS_TOOLCHAIN_JSON=$MOKOWAAS_REPO/.cache/toolchain.json
