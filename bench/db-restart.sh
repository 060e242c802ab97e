#!/usr/bin/env bash
# A database restart under storefront load (issue 19): a PostgreSQL server of this script's
# own (initdb into a temporary directory with the machine's binaries, a free loopback port;
# never the shared server), the demo brands, 8 connections of storefront reads for
# BENCH_DURATION seconds, and a fast restart (`pg_ctl restart -m fast`) a third of the way in.
# Counts the answers by status and measures how long after the server was back the first
# storefront read succeeded. Writes $RESULTS/db-restart.md. Standalone: needs only the release
# binary (`bash bench/db-restart.sh`, or BENCH_BIN=path to compare another build).
source "$(dirname "$0")/lib.sh"
need wrk wrk
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
CONNS=${BENCH_CONNECTIONS:-8}
[ -x "$BIN" ] || build

tmp=$(mktemp -d /tmp/brandhouse-db-restart-XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
pgport=$(free_port)
port=$(free_port)
cleanup() {
  stop_server db-restart
  as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

log "private PostgreSQL on 127.0.0.1:$pgport"
as_pg "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$tmp'
CONF
as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w start >/dev/null

export DATABASE_URL="postgres://brandhouse_api@127.0.0.1:$pgport/brandhouse"
export ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@127.0.0.1:$pgport/brandhouse"
export MIGRATION_DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/brandhouse"
export RUST_LOG=${RUST_LOG:-warn} RATE_LIMITS=off

log "migrating and seeding the demo brands"
seed_demo "$RESULTS/db-restart-seed.data" "$RESULTS/db-restart-seed.log"

start_server db-restart "$port" DB_POOL_SIZE=16
url="http://127.0.0.1:$port"
log "load: $CONNS connections for ${DURATION}s; restart after $((DURATION / 3))s"
wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$ROOT/bench/db-restart.lua" "$url" >"$tmp/wrk.out" 2>&1 &
wrk_pid=$!
sleep $((DURATION / 3))
start=$(date +%s.%N)
as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m fast -w restart -l "$tmp/server.log" >/dev/null
back=$(date +%s.%N)
ready_503=$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz" || true)
# The first storefront read that succeeds after the server is back (a probe of its own).
first_ok=""
for _ in $(seq 1 500); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Tenant-ID: fiber-x' "$url/v1/storefront/products?limit=1")
  if [ "$code" = 200 ]; then first_ok=$(date +%s.%N); break; fi
  sleep 0.01
done
wait "$wrk_pid"
result=$(grep '^RESULT' "$tmp/wrk.out" || { cat "$tmp/wrk.out" >&2; exit 1; })
restart_s=$(python3 -c "print(f'{$back - $start:.2f}')")
recover_s=$(python3 -c "print(f'{${first_ok:-$back} - $back:.3f}')")
field() { local v; v=$(echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"); echo "${v:-0}"; }
cat >"$RESULTS/db-restart.md" <<MD
### Database restart under load ($(date -u +%F), $CONNS connections, ${DURATION}s)

| requests | 200 | 503 (all with Retry-After) | 503 without Retry-After | 500 | socket errors | restart took | first 200 after the server was back | /readyz just after restart |
|---|---|---|---|---|---|---|---|---|
| $(field requests) | $(field s200) | $(field s503) | $(field s503-without-retry-after) | $(field s500) | $(field socket_errors) | ${restart_s} s | ${recover_s} s | $ready_503 |
MD
cat "$RESULTS/db-restart.md"
