#!/usr/bin/env bash
# The web frontends (web/): the owner's console and the storefront, built into web/dist, which
# brandhouse serves at /console/ and /shop/ (src/api/web.rs; release builds embed it).
#
#   scripts/web.sh          npm ci (pinned by web/package-lock.json, skipped while the lock file
#                           and Node.js are unchanged), tsc --strict, vite build (both apps)
#   scripts/web.sh --test   then the browser tests: scripts/web-test.sh
#
# Installs Node.js and npm from Debian's packages when missing (needs root).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'web: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing nodejs and npm from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

cd "$ROOT/web"
stamp=node_modules/.brandhouse-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci (pinned by web/package-lock.json)"
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null
  printf '%s\n' "$want" >"$stamp"
fi
node_modules/.bin/tsc --noEmit -p tsconfig.json
node_modules/.bin/vite build --mode console --logLevel warn
node_modules/.bin/vite build --mode shop --logLevel warn
log "built web/dist/console and web/dist/shop"

if [ "${1-}" = "--test" ]; then exec "$ROOT/scripts/web-test.sh"; fi
