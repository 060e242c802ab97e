#!/usr/bin/env bash
# Top products by the threshold algorithm (bench/top-products-ta.sql) against the report's
# statement (src/analytics/sql/top_products.sql), side by side: pgbench as the analytics role,
# 2 clients, $BENCH_DURATION s each (default 10), prepared, rounds alternating, on a database
# that bench/analytics-data.sql filled (bench/analytics.sh generates it). Checks both return
# the same rows first; creates the function and its two indexes, and drops them at the end.
# Prints a Markdown table. Usage: bash bench/top-products-ta.sh
source "$(dirname "$0")/lib.sh"
db_env
URL=$ANALYTICS_DATABASE_URL
SUPER="$ADMIN/$BENCH_DB"
WORK=$(mktemp -d)
cleanup() {
  psql "$SUPER" -Xq -c "drop schema if exists bench_ta cascade" \
    -c "drop index if exists app.bench_ta_yearly_by_revenue" \
    -c "drop index if exists app.bench_ta_monthly_by_revenue" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$SUPER" -Xq -v ON_ERROR_STOP=1 -f "$ROOT/bench/top-products-ta.sql"
psql "$SUPER" -Xq -c "vacuum analyze app.product_sales_yearly, app.product_sales_monthly"

tomorrow=$(date -u -d tomorrow +%F)
d30=$(date -u -d '29 days ago' +%F)
d365=$(date -u -d '365 days ago' +%F)
# The threshold form: the report's statement with the brands' rows from the function.
ta() { # from to limit
  cat <<SQL
select t.slug, t.currency, p.number, p.name, top.revenue_minor, top.units, top.rank
from bench_ta.top_products_in_range(array(select t.id from app.tenants t), '$1'::date, '$2'::date,
                                    (now() at time zone 'UTC')::date, $3) top
join app.tenants t on t.id = top.tenant_id
join app.products p on p.tenant_id = top.tenant_id and p.id = top.product_id
order by t.slug, top.rank;
SQL
}
echo "| range | round | statement tps | p50 ms | p99 ms | threshold tps | p50 ms | p99 ms | rows equal |"
echo "|---|---|---|---|---|---|---|---|---|"
for from in "$d30" "$d365"; do
  bind_literals "$ROOT/src/analytics/sql/top_products.sql" "$from" "$tomorrow" 5 >"$WORK/statement.sql"
  ta "$from" "$tomorrow" 5 >"$WORK/threshold.sql"
  same=yes
  cmp -s <(psql "$URL" -XAt -f "$WORK/statement.sql") <(psql "$URL" -XAt -f "$WORK/threshold.sql") || same=NO
  for round in 1 2; do
    cols=()
    for side in statement threshold; do
      rm -f "$WORK"/pgbench_log.*
      (cd "$WORK" && pgbench "$URL" -n -M prepared -c 2 -j 2 -T "$DURATION" -l -f "$side.sql" >/dev/null 2>&1)
      cols+=("$(cat "$WORK"/pgbench_log.* | wc -l | awk -v d="$DURATION" '{printf "%.1f", $1 / d}') | $(pgbench_pct "$WORK"/pgbench_log.*)")
    done
    echo "| $from .. $tomorrow (exclusive) | $round | ${cols[0]} | ${cols[1]} | $same |"
  done
done
