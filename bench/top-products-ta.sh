#!/usr/bin/env bash
# Top products by the threshold algorithm (bench/top-products-ta.sql) against the report's
# statement (src/analytics/sql/top_products.sql), side by side: pgbench as the analytics role,
# 2 clients, $DURATION s each, prepared, rounds alternating, on a database that
# bench/analytics-data.sql filled (bench/analytics.sh generates it). Checks both return the
# same rows first; creates the function and its two indexes, and drops them at the end.
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
# The report's statement with $1.. bound as literals (pgbench has no positional parameters);
# the threshold form is the same statement with the brands' rows from the function.
bind() { # file from to limit
  sed -e "s/\$1/'$2'::timestamptz/g" -e "s/\$2/'$3'::timestamptz/g" -e "s/\$3/$4/g" "$1" \
    | sed -e 's/--.*$//' | tr '\n' ' '
  echo
}
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
pct() { # tps, p50 and p99 (ms) from a pgbench -l log (column 3: latency in us)
  sort -n -k3 "$@" | awk -v d="$DURATION" '{ l[NR] = $3 }
    END { a = int(NR * 0.5); if (a < 1) a = 1; b = int(NR * 0.99); if (b < 1) b = 1
          printf "%.1f, %.1f / %.1f", NR / d, l[a] / 1000, l[b] / 1000 }'
}

echo "| range | round | statement tps, p50 / p99 ms | threshold tps, p50 / p99 ms | rows equal |"
echo "|---|---|---|---|---|"
for from in "$d30" "$d365"; do
  bind "$ROOT/src/analytics/sql/top_products.sql" "$from" "$tomorrow" 5 >"$WORK/statement.sql"
  ta "$from" "$tomorrow" 5 >"$WORK/threshold.sql"
  same=yes
  cmp -s <(psql "$URL" -XAt -f "$WORK/statement.sql") <(psql "$URL" -XAt -f "$WORK/threshold.sql") || same=NO
  for round in 1 2; do
    cols=()
    for side in statement threshold; do
      rm -f "$WORK"/pgbench_log.*
      (cd "$WORK" && pgbench "$URL" -n -M prepared -c 2 -j 2 -T "$DURATION" -l -f "$side.sql" >/dev/null 2>&1)
      cols+=("$(pct "$WORK"/pgbench_log.*)")
    done
    echo "| $from .. $tomorrow (exclusive) | $round | ${cols[0]} | ${cols[1]} | $same |"
  done
done
