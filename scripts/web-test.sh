#!/usr/bin/env bash
# The browser tests of the console and the storefront (`make web-test`, part of `make test`):
# Debian's chromium, driven headless by playwright-core (web/test/browser.mjs; no browser is
# downloaded), against `brandhouse demo` on a throwaway database (migrated and seeded like the
# demo, port 0 on loopback, dropped afterwards). Installs chromium with apt when missing.
# Meta's Graph API is a local stand-in (web/test/fake-graph.mjs), so the WhatsApp inbox has a
# conversation to answer. Screenshots go to WEB_TEST_OUT (default web/test-output). Bounded by
# WEB_TEST_TIMEOUT (240 s).
#
# WEB_TEST_PROFILE=release runs the same tests against the release binary, whose assets are
# embedded at build time (debug builds read web/dist at run time): it checks the embedded files
# with `brandhouse check-web` first, from outside the checkout. CI's `release-smoke` job runs it.
#
#   ADMIN_URL  the superuser connection without database (as in the Makefile)
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
PG_HOST_PORT=${ADMIN_URL##*@}
CARGO=${CARGO:-cargo}
export WEB_TEST_OUT=${WEB_TEST_OUT:-$PWD/web/test-output}
started=$(date +%s)
log() { printf 'web-test: %s\n' "$*" >&2; }

if [ -z "${CHROMIUM:-}" ]; then
  if ! command -v chromium >/dev/null; then
    log "installing chromium from Debian's packages"
    as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  CHROMIUM=$(command -v chromium)
fi
export CHROMIUM
[ -f web/dist/console/index.html ] && [ -f web/dist/shop/index.html ] \
  || { log "web/dist is missing: run \`make web\` first"; exit 1; }

if [ "${WEB_TEST_PROFILE:-debug}" = release ]; then
  $CARGO build --release --quiet --bin brandhouse
  BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/brandhouse"
  # From another directory: an embedded asset does not depend on the working directory.
  embedded=$(cd / && "$BIN" check-web 2>&1) || true
  [[ $embedded == *"embedded in this binary"* ]] \
    || { log "the release binary does not embed web/dist: $embedded"; exit 1; }
  log "${embedded//$'\n'/; }"
else
  $CARGO build --quiet
  BIN="${CARGO_TARGET_DIR:-target}/debug/brandhouse"
fi

DB="bh_web_$$"
WORK=$(mktemp -d)
SERVER=""
GRAPH=""
cleanup() {
  for pid in $SERVER $GRAPH; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  psql "$ADMIN_URL/postgres" -X -q -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

node web/test/fake-graph.mjs >"$WORK/graph.out" 2>&1 &
GRAPH=$!
GRAPH_URL=""
for _ in $(seq 1 100); do
  GRAPH_URL=$(grep -o 'http://[0-9.:]*' "$WORK/graph.out" || true)
  [[ -n $GRAPH_URL ]] && break
  sleep 0.1
done
[[ -n $GRAPH_URL ]] || { log "the fake Graph API did not start:"; cat "$WORK/graph.out" >&2; exit 1; }

env -u REDIS_URL \
MIGRATION_DATABASE_URL="$ADMIN_URL/$DB" \
DATABASE_URL="postgres://brandhouse_api@$PG_HOST_PORT/$DB" \
ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@$PG_HOST_PORT/$DB" \
BIND_ADDR=127.0.0.1:0 \
DATA_DIR="$WORK/data" \
RATE_LIMITS=off \
GRAPH_API_BASE_URL="$GRAPH_URL" \
RUST_LOG=${RUST_LOG:-error} \
  "$BIN" demo >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
BASE=""
for _ in $(seq 1 600); do
  BASE=$(grep -o 'is serving on http://[0-9.:]*' "$WORK/server.out" | awk '{print $4}' || true)
  [[ -n $BASE ]] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then log "the service did not start:"; cat "$WORK/server.err" >&2; exit 1; fi
  sleep 0.2
done
[[ -n $BASE ]] || { log "the service did not start in time"; exit 1; }
log "the demo is serving on $BASE after $(( $(date +%s) - started )) s"

status=0
BASE_URL=$BASE timeout "${WEB_TEST_TIMEOUT:-240}" node web/test/browser.mjs || status=$?
if grep -q 'panicked' "$WORK/server.err"; then log "the service panicked:"; grep -A3 'panicked' "$WORK/server.err" >&2; status=1; fi
log "$( [ $status -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - started )) s (screenshots in $WEB_TEST_OUT)"
exit $status
