#!/usr/bin/env bash
# Owner analytics latency (issue: analytics) on 100 brands x 5,000 SKUs x 1,000,000 orders:
# each endpoint's first request, then p50 and p99 at 2 connections after 2 s of the same load,
# as the owner. Generates the data set first
# (bench/analytics-data.sql; skipped when already present). Writes $RESULTS/analytics.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env
PSQL=(psql "$ADMIN/$BENCH_DB" -XAtq -v ON_ERROR_STOP=1)

if [ "$("${PSQL[@]}" -c "select count(*) from app.tenants where slug like 'bench-%'")" != "100" ]; then
  log "generating 100 brands x 5,000 SKUs x 1,000,000 orders (a few minutes)"
  start=$(date +%s)
  psql "$ADMIN/$BENCH_DB" -Xq -f "$ROOT/bench/analytics-data.sql"
  # Fresh statistics and visibility maps, as autovacuum would leave them: without them the
  # planner takes the 100 brands for the demo's 3 and reads the rollups' heap.
  psql "$ADMIN/$BENCH_DB" -Xq -c "vacuum analyze"
  log "generated in $(( $(date +%s) - start )) s"
fi
counts=$("${PSQL[@]}" -c "select (select count(*) from app.tenants) || ' brands, ' || (select count(*) from app.variants) || ' SKUs, ' || (select count(*) from app.orders) || ' orders, ' || (select count(*) from app.order_lines) || ' lines'")

clear_login_throttle "$BENCH_DB"
port=$(free_port)
trap 'stop_server analytics' EXIT
start_server analytics "$port" REDIS_URL= WORKER_ENABLED=false ANALYTICS_POOL_SIZE=4
token=$(owner_token "$port")

today=$(date -u +%F)
d30=$(date -u -d '29 days ago' +%F)
d365=$(date -u -d '365 days ago' +%F)
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
{
  echo "### Owner analytics: $counts; 2 connections, ${DURATION} s per endpoint"
  echo
  echo "| endpoint | range | first request ms | req/s | p50 ms | p99 ms | non-2xx |"
  echo "|---|---|---|---|---|---|---|"
  for spec in "overview|$d30|$today" "overview|$d365|$today" "timeseries|$d30|$today" "timeseries|$d365|$today|week" \
              "top-products|$d30|$today" "top-products|$d365|$today" "inventory||"; do
    IFS='|' read -r name from to interval <<<"$spec"
    path="/v1/admin/analytics/$name"
    [ -n "$from" ] && path="$path?from=$from&to=$to"
    [ -n "${interval:-}" ] && path="$path&interval=$interval"
    # The endpoint's first request on this server (a pooled connection's first use of its
    # statement: planning, PL/pgSQL caches; the very first also opens the connection), then 2 s
    # of the same load not measured: the percentiles are the steady state's, not those of the
    # few cold requests that are 1% of a 10-second run.
    first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" | awk '{printf "%.1f", $1 * 1000}')
    BENCH_PATH="$path" BENCH_TOKEN="$token" wrk -t1 -c2 -d2s --timeout 30s -s "$ROOT/bench/analytics.lua" "http://127.0.0.1:$port" >/dev/null
    out=$(BENCH_PATH="$path" BENCH_TOKEN="$token" wrk -t1 -c2 -d"${DURATION}s" --timeout 30s -s "$ROOT/bench/analytics.lua" "http://127.0.0.1:$port" | awk '/^RESULT/')
    range="${from:+$from .. $to}"; [ -n "${interval:-}" ] && range="$range ($interval)"; [ -z "$from" ] && range="now"
    echo "| $name | $range | $first | $(echo "$out" | field rps) | $(echo "$out" | field p50_ms) | $(echo "$out" | field p99_ms) | $(echo "$out" | field non2xx) |"
  done
} >"$RESULTS/analytics.md"
cat "$RESULTS/analytics.md"
