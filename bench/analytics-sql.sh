#!/usr/bin/env bash
# Owner analytics SQL side by side: each report's statement before the rollups
# (bench/analytics-raw/*.sql, on the raw tables) and now (src/analytics/sql/*.sql, on the
# rollups of sql/V37__analytics_rollups.sql), run by pgbench as the analytics role in one run,
# 2 clients, $DURATION s each, on a database that bench/analytics-data.sql filled. Checks that
# both return the same rows first. Prints a Markdown table (p50 and p99 from the per-statement
# log). Usage: bench/analytics-sql.sh postgres://brandhouse_analytics@127.0.0.1/DB
set -euo pipefail
URL=${1:?analytics role URL of the bench database}
DURATION=${DURATION:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

today=$(date -u +%F)
tomorrow=$(date -u -d tomorrow +%F)
d30=$(date -u -d '29 days ago' +%F)
d365=$(date -u -d '365 days ago' +%F)

# Binds $1.. as literals (pgbench has no positional parameters).
bind() { # file from to third
  sed -e "s/\$1/'$2'::timestamptz/g" -e "s/\$2/'$3'::timestamptz/g" -e "s/\$3/$4/g" "$1" \
    | sed -e 's/--.*$//' | tr '\n' ' '
  echo
}
pct() { # p50 and p99 (ms) from a pgbench -l log (column 3: latency in us)
  sort -n -k3 "$@" | awk '{ l[NR] = $3 }
    END { a = int(NR * 0.5); if (a < 1) a = 1; b = int(NR * 0.99); if (b < 1) b = 1
          printf "%.1f | %.1f", l[a] / 1000, l[b] / 1000 }'
}

echo "| report | range | before p50 ms | before p99 ms | after p50 ms | after p99 ms | rows equal |"
echo "|---|---|---|---|---|---|---|"
for spec in "overview|$d30|$tomorrow|" "overview|$d365|$tomorrow|" "timeseries|$d30|$tomorrow|'day'" \
            "timeseries|$d365|$tomorrow|'week'" "top_products|$d30|$tomorrow|5" "top_products|$d365|$tomorrow|5" \
            "inventory|||"; do
  IFS='|' read -r name from to third <<<"$spec"
  before="$ROOT/bench/analytics-raw/$name.sql"
  # Inventory's definition without the rollups is still in the tree: the report falls back on it.
  [ "$name" = inventory ] && before="$ROOT/src/analytics/sql/inventory_by_definition.sql"
  bind "$before" "$from" "$to" "$third" >"$WORK/before.sql"
  bind "$ROOT/src/analytics/sql/$name.sql" "$from" "$to" "$third" >"$WORK/after.sql"
  same=yes
  cmp -s <(psql "$URL" -XAt -f "$WORK/before.sql") <(psql "$URL" -XAt -f "$WORK/after.sql") || same=NO
  cols=()
  for side in before after; do
    rm -f "$WORK"/pgbench_log.*
    (cd "$WORK" && pgbench "$URL" -n -M prepared -c 2 -j 2 -T "$DURATION" -l -f "$side.sql" >/dev/null 2>&1)
    cols+=("$(pct "$WORK"/pgbench_log.*)")
  done
  range="${from:+$from .. $to (exclusive)}"; [ -z "$from" ] && range=now
  echo "| $name${third:+ $third} | $range | ${cols[0]} | ${cols[1]} | $same |"
done
