#!/usr/bin/env bash
# The tenant policy with and without its subquery (sql/V38__policy_without_subquery.sql), side by
# side in one run on one database and one server: the uncached storefront list (16 connections,
# bench/storefront.lua) and uncontended one-unit checkouts (64 connections, bench/checkout.lua),
# rounds alternating between the policies' old form `tenant_id = (select app.current_tenant())`
# (an InitPlan) and today's `tenant_id = app.current_tenant()`. Every statement names its brand
# with `tenant_id = $1`, so the function should be evaluated once per statement either way.
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

port=$(free_port)
trap 'set_form plain; stop_server policy' EXIT
start_server policy "$port" DB_POOL_SIZE=16 REDIS_URL= WORKER_ENABLED=false \
  ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
list() { wrk -t2 -c16 -d"${DURATION}s" --latency -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port" 2>&1 | awk '/^RESULT/'; }
checkout() { BENCH_SKUS="$skus" wrk -t2 -c64 -d"${DURATION}s" -s "$ROOT/bench/checkout.lua" "http://127.0.0.1:$port" 2>&1 | awk '/^RESULT/'; }

log "warming up"
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port" >/dev/null

rows=""
for round in $(seq 1 "$ROUNDS"); do
  for form in initplan plain; do
    set_form "$form"
    wrk -t1 -c4 -d1s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port" >/dev/null
    log "round $round, $form: list (${DURATION}s, 16 connections), checkout (${DURATION}s, 64)"
    l=$(list); c=$(checkout)
    rows+="| $round | $form | $(echo "$l" | field rps) | $(echo "$l" | field p50_ms) | $(echo "$l" | field p99_ms) | $(echo "$c" | field rps) | $(echo "$c" | field p50_ms) | $(echo "$c" | field p99_ms) | $(( $(echo "$l" | field errors) + $(echo "$c" | field non2xx) )) |
"
  done
done

cat >"$RESULTS/policy.md" <<MD
### The tenant policy with its InitPlan (\`initplan\`) and without (\`plain\`, today's), rounds alternating, ${DURATION} s each

| round | policy | list req/s | list p50 ms | list p99 ms | checkout orders/s | checkout p50 ms | checkout p99 ms | errors (list) + non-2xx (checkout) |
|---|---|---|---|---|---|---|---|---|
$rows
MD
cat "$RESULTS/policy.md"
