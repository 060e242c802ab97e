#!/usr/bin/env bash
# Owner analytics SQL side by side: each report's statement before the rollups
# (bench/analytics-raw/*.sql, on the raw tables) and now (src/analytics/sql/*.sql, on the
# rollups of sql/V37__analytics_rollups.sql), run by pgbench as the analytics role in one run,
# 2 clients, $BENCH_DURATION s each (default 10), on a database that bench/analytics-data.sql
# filled. Checks that both return the same rows first. Prints a Markdown table (p50 and p99 from
# the per-statement log). Usage: bench/analytics-sql.sh postgres://brandhouse_analytics@127.0.0.1/DB
source "$(dirname "$0")/lib.sh"
URL=${1:?analytics role URL of the bench database}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

today=$(date -u +%F)
tomorrow=$(date -u -d tomorrow +%F)
d30=$(date -u -d '29 days ago' +%F)
d365=$(date -u -d '365 days ago' +%F)

echo "| report | range | before p50 ms | before p99 ms | after p50 ms | after p99 ms | rows equal |"
echo "|---|---|---|---|---|---|---|"
for spec in "overview|$d30|$tomorrow|" "overview|$d365|$tomorrow|" "timeseries|$d30|$tomorrow|'day'" \
            "timeseries|$d365|$tomorrow|'week'" "top_products|$d30|$tomorrow|5" "top_products|$d365|$tomorrow|5" \
            "inventory|||"; do
  IFS='|' read -r name from to third <<<"$spec"
  before="$ROOT/bench/analytics-raw/$name.sql"
  # Inventory's definition without the rollups is still in the tree: the report falls back on it.
  [ "$name" = inventory ] && before="$ROOT/src/analytics/sql/inventory_by_definition.sql"
  bind_literals "$before" "$from" "$to" "$third" >"$WORK/before.sql"
  bind_literals "$ROOT/src/analytics/sql/$name.sql" "$from" "$to" "$third" >"$WORK/after.sql"
  same=yes
  cmp -s <(psql "$URL" -XAt -f "$WORK/before.sql") <(psql "$URL" -XAt -f "$WORK/after.sql") || same=NO
  cols=()
  for side in before after; do
    rm -f "$WORK"/pgbench_log.*
    (cd "$WORK" && pgbench "$URL" -n -M prepared -c 2 -j 2 -T "$DURATION" -l -f "$side.sql" >/dev/null 2>&1)
    cols+=("$(pgbench_pct "$WORK"/pgbench_log.*)")
  done
  range="${from:+$from .. $to (exclusive)}"; [ -z "$from" ] && range=now
  echo "| $name${third:+ $third} | $range | ${cols[0]} | ${cols[1]} | $same |"
done
