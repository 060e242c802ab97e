#!/usr/bin/env bash
# The tenant policy with and without its subquery (sql/V38__policy_without_subquery.sql), side by
# side in one run on one database, rounds alternating between the policies' old form
# `tenant_id = (select app.current_tenant())` (an InitPlan) and today's
# `tenant_id = app.current_tenant()`. Every statement names its brand with `tenant_id = $1`, so
# the function should be evaluated once per statement either way.
#
# * pgbench, the statements: the storefront list (first page of 50, three brands in rotation,
#   16 clients) and the checkout's pipelined statement sequence (bench/checkout_pgbench.py, a
#   random Fiber X SKU, 64 clients);
# * the API (unless BENCH_POLICY_API=0): the uncached storefront list (16 connections,
#   bench/storefront.lua) and uncontended one-unit checkouts (64, bench/checkout.lua).
#
# The policies are switched with ALTER POLICY between runs (the server re-plans); the trap puts
# today's form back. Writes $RESULTS/policy.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env

ROUNDS=${BENCH_ROUNDS:-2}
PSQL=(psql "$ADMIN/$BENCH_DB" -XAtq -v ON_ERROR_STOP=1)

# set_form initplan|plain: every canonical policy (tenant_isolation on the tenant tables,
# brand_or_global on the global tables that carry a brand) in that form.
set_form() {
  local tenant brand
  if [ "$1" = initplan ]; then
    tenant="tenant_id = (select app.current_tenant())"
    brand="(select app.current_tenant()) is null or tenant_id = (select app.current_tenant())"
  else
    tenant="tenant_id = app.current_tenant()"
    brand="app.current_tenant() is null or tenant_id = app.current_tenant()"
  fi
  "${PSQL[@]}" <<SQL
do \$\$
declare r record;
begin
  for r in select p.polname, c.oid::regclass as tbl from pg_policy p join pg_class c on c.oid = p.polrelid
           where p.polname in ('tenant_isolation', 'brand_or_global') loop
    if r.polname = 'tenant_isolation' then
      execute format('alter policy tenant_isolation on %s using ($tenant) with check ($tenant)', r.tbl);
    else
      execute format('alter policy brand_or_global on %s using ($brand) with check ($brand)', r.tbl);
    end if;
  end loop;
end
\$\$;
SQL
}

log "preparing stock: zone BENCH, 1,000,000 units of every Fiber X SKU"
"${PSQL[@]}" -f "$ROOT/bench/stock.sql"
skus=$("${PSQL[@]}" -c "select string_agg(sku, ',') from public.bench_skus")
nskus=$("${PSQL[@]}" -c "select count(*) from public.bench_skus")
tmp=$(mktemp -d)
for slug in fiber-x suzume showstopper; do
  storefront_list_pgbench "$slug" >"$tmp/$slug.sql"
done
python3 "$ROOT/bench/checkout_pgbench.py" "$("${PSQL[@]}" -c "select id from app.tenants where slug = 'fiber-x'")" \
  "$("${PSQL[@]}" -c "select id from app.zones where code = 'BENCH'")" "$nskus" "$tmp"
# pgb CLIENTS SCRIPT...: "tps p50 p99" (ms, from pgbench's per-transaction log).
pgb() {
  local clients=$1 out; shift
  rm -f "$tmp"/pgbench_log.*
  out=$(cd "$tmp" && pgbench -n -M prepared -c "$clients" -j 2 -T "$DURATION" -l "$@" \
    -U brandhouse_api -h 127.0.0.1 "$BENCH_DB" 2>&1) || { echo "$out" >&2; exit 1; }
  echo "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1 | xargs printf '%.1f')" \
    "$(cat "$tmp"/pgbench_log.* | sort -n -k3 | awk '{ l[NR] = $3 } END { printf "%.1f %.1f", l[int(NR * 0.5)] / 1000, l[int(NR * 0.99)] / 1000 }')"
}

port=""
trap 'set_form plain; [ -n "$port" ] && stop_server policy; rm -rf "$tmp"' EXIT
if [ "${BENCH_POLICY_API:-1}" != 0 ]; then
  port=$(free_port)
  start_server policy "$port" DB_POOL_SIZE=16 REDIS_URL= WORKER_ENABLED=false \
    ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret
fi

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
list() { wrk -t2 -c16 -d"${DURATION}s" --latency -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port" 2>&1 | awk '/^RESULT/'; }
checkout() { BENCH_SKUS="$skus" wrk -t2 -c64 -d"${DURATION}s" -s "$ROOT/bench/checkout.lua" "http://127.0.0.1:$port" 2>&1 | awk '/^RESULT/'; }

sql_rows=""; api_rows=""
for round in $(seq 1 "$ROUNDS"); do
  for form in initplan plain; do
    set_form "$form"
    log "round $round, $form: pgbench list (${DURATION}s, 16 clients), checkout (${DURATION}s, 64)"
    read -r l_tps l_p50 l_p99 < <(pgb 16 -f "$tmp/fiber-x.sql@1" -f "$tmp/suzume.sql@1" -f "$tmp/showstopper.sql@1")
    read -r c_tps c_p50 c_p99 < <(pgb 64 -f "$tmp/checkout-after.pgbench")
    sql_rows+="| $round | $form | $l_tps | $l_p50 | $l_p99 | $c_tps | $c_p50 | $c_p99 |
"
    [ -z "$port" ] && continue
    wrk -t1 -c4 -d1s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port" >/dev/null
    log "round $round, $form: API list (${DURATION}s, 16 connections), checkout (${DURATION}s, 64)"
    l=$(list); c=$(checkout)
    api_rows+="| $round | $form | $(echo "$l" | field rps) | $(echo "$l" | field p50_ms) | $(echo "$l" | field p99_ms) | $(echo "$c" | field rps) | $(echo "$c" | field p50_ms) | $(echo "$c" | field p99_ms) | $(( $(echo "$l" | field errors) + $(echo "$c" | field non2xx) )) |
"
  done
done

{
  echo "### The tenant policy with its InitPlan (\`initplan\`) and without (\`plain\`, today's), rounds alternating, ${DURATION} s each"
  echo
  echo "pgbench, the statements (list: 16 clients, 3 brands; checkout: the pipelined sequence, 64 clients):"
  echo
  echo "| round | policy | list tps | list p50 ms | list p99 ms | checkout tps | checkout p50 ms | checkout p99 ms |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s' "$sql_rows"
  if [ -n "$port" ]; then
    echo
    echo "The API (uncached list, 16 connections; one-unit checkouts, 64):"
    echo
    echo "| round | policy | list req/s | list p50 ms | list p99 ms | checkout orders/s | checkout p50 ms | checkout p99 ms | errors (list) + non-2xx (checkout) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s' "$api_rows"
  fi
} >"$RESULTS/policy.md"
cat "$RESULTS/policy.md"
