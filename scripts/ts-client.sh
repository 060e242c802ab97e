#!/usr/bin/env bash
# The generated TypeScript client, clients/typescript (package @brandhouse/client).
#
#   scripts/ts-client.sh          check: regenerate the types from openapi/openapi.json into a
#                                 temporary file and fail if they differ from the committed
#                                 src/schema.ts; type-check the package, the examples and the type
#                                 tests with `tsc --strict --noEmit`; check the formatting
#                                 (prettier); run the wrapper's tests.
#   scripts/ts-client.sh --write  rewrite src/schema.ts from the spec (after `make openapi`), then
#                                 check as above.
#
# Installs Node.js and npm from Debian's packages when missing (needs root), and the pinned npm
# packages with `npm ci` from package-lock.json (from npm's cache when it has them). node_modules
# is reused while package-lock.json and the Node.js version are unchanged.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLIENT=$ROOT/clients/typescript
SPEC=$ROOT/openapi/openapi.json
SCHEMA=src/schema.ts

log() { printf 'ts-client: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

ensure_node() {
  local missing=()
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 18 ]; then
    log "Node.js 18 or later is needed (found $(node --version))"; return 1
  fi
  NODE_MAJOR=$major
}

# `npm ci` only when package-lock.json or Node.js changed since the last install.
ensure_packages() {
  local stamp=node_modules/.brandhouse-installed want
  want="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "npm ci (pinned by package-lock.json)"
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null
  printf '%s\n' "$want" >"$stamp"
}

# The types openapi-typescript makes of the committed spec, into the file named by $1.
# --default-non-nullable=false: a property with a default (only request fields have one, e.g.
# CreateZoneRequest.city) stays optional, as the service treats it, instead of becoming required.
generate() {
  node_modules/.bin/openapi-typescript "$SPEC" --default-non-nullable=false --output "$1" \
    >/dev/null 2>"$1.log" \
    || { cat "$1.log" >&2; log "openapi-typescript failed on $SPEC"; return 1; }
  rm -f "$1.log"
}

main() {
  local write=false
  case "${1-}" in
    --write) write=true ;;
    "") ;;
    *) log "usage: $0 [--write]"; return 2 ;;
  esac
  ensure_node
  cd "$CLIENT"
  ensure_packages

  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  local fresh=$TMP/schema.ts
  generate "$fresh"
  if $write; then
    if cmp -s "$fresh" "$SCHEMA"; then log "$SCHEMA is already up to date"; else
      cp "$fresh" "$SCHEMA"; log "rewrote clients/typescript/$SCHEMA: commit it"; fi
  elif ! cmp -s "$fresh" "$SCHEMA"; then
    diff -u --label "committed $SCHEMA" --label "generated from openapi/openapi.json" \
      "$SCHEMA" "$fresh" | head -n 60 >&2 || true
    log "clients/typescript/$SCHEMA differs from what openapi/openapi.json generates:"
    log "run \`make ts-client-write\` (scripts/ts-client.sh --write) and commit the result"
    return 1
  fi

  # Two tsc runs side by side (incremental: a re-run with nothing changed is quick):
  # - the package, the examples and the type tests, as a frontend's strict build sees them
  #   (DOM types only, no Node.js types);
  # - the wrapper's tests, built into .test-build inside the package, whose node_modules and
  #   "type": "module" they need at run time.
  mkdir -p node_modules/.cache
  node_modules/.bin/tsc -p tsconfig.json --strict --noEmit \
    --incremental --tsBuildInfoFile node_modules/.cache/brandhouse-check.tsbuildinfo &
  local check=$!
  node_modules/.bin/tsc -p tsconfig.test.json --strict --outDir .test-build \
    --incremental --tsBuildInfoFile .test-build/tsbuildinfo &
  local build=$!
  # And the hand-written files' formatting (.prettierrc.json; fix with `npx prettier --write .`).
  node_modules/.bin/prettier --check --log-level=warn . &
  local format=$!
  local failed=0
  wait "$check" || { log "tsc --strict --noEmit failed (src, examples, test/types.ts)"; failed=1; }
  wait "$build" || { log "building the tests failed (test/*.test.ts)"; failed=1; }
  wait "$format" || { log "run \`npx prettier --write .\` in clients/typescript"; failed=1; }
  [ "$failed" -eq 0 ] || return 1

  # The wrapper's behaviour (headers, problems, retries) against a fake fetch.
  local tests=() t flags=()
  for t in test/*.test.ts; do tests+=(".test-build/${t%.ts}.js"); done
  [ "$NODE_MAJOR" -lt 19 ] && flags+=(--experimental-global-webcrypto)
  node "${flags[@]}" --test --test-reporter=spec "${tests[@]}"
  echo >&2
  log "types up to date ($(wc -l <"$SCHEMA") lines), tsc --strict clean, formatted, tests passed"
}

main "$@"
