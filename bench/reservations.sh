#!/usr/bin/env bash
# Reservation benchmark (issue: stock): checkouts of one unit per second, uncontended (random
# SKUs, distinct rows) and on one hot row, at 64 concurrent clients, against pgbench running the
# checkout's statements as the ceiling. Reports oversell (units reserved or sold beyond stock;
# must be 0). Writes $RESULTS/reservations.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env

CONNS=${BENCH_CONNECTIONS:-64}
POOL=${BENCH_POOL:-16}
PSQL=(psql "$ADMIN/$BENCH_DB" -XAtq -v ON_ERROR_STOP=1)

log "preparing stock: zone BENCH, 1,000,000 units of every Fiber X SKU; one hot SKU with 2,000"
"${PSQL[@]}" -f "$ROOT/bench/stock.sql"
hot=$("${PSQL[@]}" -c "select sku from public.bench_skus order by i limit 1")
nskus=$("${PSQL[@]}" -c "select count(*) from public.bench_skus")
# The hot row: 2,000 units, in the BENCH zone only (a fresh bench database has no other stock).
"${PSQL[@]}" -c "
  with adj as (
    update app.stock s set on_hand = s.reserved + 2000
    where s.variant_id = (select variant_id from public.bench_skus where sku = '$hot')
      and s.zone_id = (select id from app.zones where code = 'BENCH')
    returning s.tenant_id, s.variant_id, s.zone_id, s.on_hand - 1000000 as delta)
  insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta, reason)
  select tenant_id, variant_id, zone_id, 'adjust', delta, 'bench hot row' from adj"
hot_before=$("${PSQL[@]}" -c "select sum(on_hand - reserved) from app.stock where variant_id = (select variant_id from public.bench_skus where sku = '$hot')")
all_skus=$("${PSQL[@]}" -c "select string_agg(sku, ',') from public.bench_skus where sku <> '$hot'")

port=$(free_port)
trap 'stop_server reservations' EXIT
start_server reservations "$port" DB_POOL_SIZE="$POOL" REDIS_URL= WORKER_ENABLED=false \
  ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret

run_wrk() { BENCH_SKUS="$1" wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$ROOT/bench/checkout.lua" "http://127.0.0.1:$port" 2>&1 | awk '/^RESULT/'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

log "API, uncontended (${DURATION}s, $CONNS connections)"
un=$(run_wrk "$all_skus")
# Orders already on the hot SKU (an earlier run on this database): not this run's.
hot_prior=$("${PSQL[@]}" -c "select count(*) from app.order_lines l join app.orders o on o.id = l.order_id
  where l.sku = '$hot' and o.idempotency_key like 'bench-%'")
log "API, one hot row"
hot_run=$(run_wrk "$hot")
# wrk stops with requests in flight; let the server finish them, then read both figures in one
# statement (one snapshot), so they add up.
sleep 2
read -r hot_created hot_after < <("${PSQL[@]}" -F ' ' -c "
  select (select count(*) from app.order_lines l join app.orders o on o.id = l.order_id
          where l.sku = '$hot' and o.idempotency_key like 'bench-%'),
         (select sum(on_hand - reserved) from app.stock
          where variant_id = (select variant_id from public.bench_skus where sku = '$hot'))")
broken=$("${PSQL[@]}" -c "select count(*) from app.stock where reserved > on_hand or reserved < 0")
hot_created=$(( hot_created - hot_prior ))
oversell=$(( hot_created > hot_before ? hot_created - hot_before : 0 ))

# pgbench: the checkout's statements for one unit of a random SKU (the same SQL files, inlined).
# (No ":" inside string literals: pgbench -M prepared turns any ":name" into a parameter, quotes or not.)
tid=$("${PSQL[@]}" -c "select id from app.tenants where slug = 'fiber-x'")
zone=$("${PSQL[@]}" -c "select id from app.zones where code = 'BENCH'")
cat >"$RESULTS/checkout.pgbench" <<PGB
\\set v random(2, $nskus)
\\set k random(1, 2000000000)
begin;
select set_config('app.tenant_id', '$tid', true), set_config('app.user_id', '', true), set_config('app.role', 'storefront', true);
select pg_advisory_xact_lock(hashtextextended('$tid' || chr(58) || 'pg' || cast(:k as text), 7243));
select id, request_hash from app.orders where idempotency_key = 'pg-' || cast(:k as text);
select max_units_per_sku, max_open_orders_per_customer from app.brand_settings;
select pg_advisory_xact_lock(hashtextextended('$tid' || chr(58) || 'email' || chr(58) || 'pg' || cast(:k as text) || '@bench.test', 7244));
select count(*) from app.orders o join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id where c.email = 'pg' || cast(:k as text) || '@bench.test' and o.status = 'pending_payment' and o.holds_expire_at > now();
select v.id, v.sku, (v.is_active and p.status = 'active') as sellable, coalesce(v.price_override_minor, p.base_price_minor) as price_minor from app.variants v join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id where v.sku = any(array[(select sku from public.bench_skus where i = :v)]);
select s.variant_id, s.zone_id, s.on_hand, s.reserved from app.stock s join app.zones z on z.id = s.zone_id where s.variant_id = (select variant_id from public.bench_skus where i = :v) order by s.variant_id, s.zone_id for update of s;
update app.holds set status = 'expired', ended_at = now() where status = 'active' and expires_at <= now() and variant_id = (select variant_id from public.bench_skus where i = :v);
insert into app.customers (name, email) values ('Bench', 'pg' || cast(:k as text) || '@bench.test') on conflict (tenant_id, email) where email is not null do update set name = case when app.customers.name = '' then excluded.name else app.customers.name end returning id \\gset c_
insert into app.order_counters as c (last_number) values (1) on conflict (tenant_id) do update set last_number = c.last_number + 1 returning last_number \\gset n_
select coalesce((select hold_minutes from app.brand_settings), 15);
insert into app.orders (number, customer_id, currency, total_minor, idempotency_key, request_hash, holds_expire_at, customer_name) values (:n_last_number, cast(:c_id as uuid), 'EUR', 1500, 'pg-' || cast(:k as text), '\\x00', now() + interval '15 minutes', 'Bench') returning id \\gset o_
insert into app.order_lines (order_id, position, variant_id, sku, quantity, unit_price_minor) select cast(:o_id as uuid), 0, variant_id, sku, 1, 1500 from public.bench_skus where i = :v returning id \\gset l_
insert into app.holds (order_id, order_line_id, variant_id, zone_id, quantity, status, expires_at) select cast(:o_id as uuid), cast(:l_id as uuid), variant_id, '$zone', 1, 'active', now() + interval '15 minutes' from public.bench_skus where i = :v returning id \\gset h_
update app.stock s set reserved = s.reserved + 1, updated_at = now() where s.variant_id = (select variant_id from public.bench_skus where i = :v) and s.zone_id = '$zone';
insert into app.stock_movements (variant_id, zone_id, kind, reserved_delta, order_id, hold_id) select variant_id, '$zone', 'reserve', 1, cast(:o_id as uuid), cast(:h_id as uuid) from public.bench_skus where i = :v;
insert into app.jobs (tenant_id, kind, ref, run_at) values ('$tid', 'expire_order', cast(:o_id as uuid), now() + interval '15 minutes');
select o.id, o.number, o.status from app.orders o join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id where o.id = cast(:o_id as uuid);
select l.id, l.sku from app.order_lines l where l.order_id = cast(:o_id as uuid) order by l.position;
select h.id, z.code from app.holds h join app.zones z on z.id = h.zone_id where h.order_id = cast(:o_id as uuid);
commit;
PGB
log "pgbench ceiling, uncontended (${DURATION}s, $CONNS clients)"
pg=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -f "$RESULTS/checkout.pgbench" -U brandhouse_api -h 127.0.0.1 "$BENCH_DB" 2>&1) || { echo "$pg" >&2; exit 1; }
pg_tps=$(echo "$pg" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
pg_lat=$(echo "$pg" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' | head -1)

un_rps=$(echo "$un" | field rps); hot_rps=$(echo "$hot_run" | field rps)
ratio=$(python3 -c "print(f'{$un_rps / $pg_tps * 100:.0f}%')")
cat >"$RESULTS/reservations.md" <<MD
### Reservations: one-unit checkouts, $CONNS connections, ${DURATION} s each, API pool $POOL

| run | req/s | p50 ms | p99 ms | non-2xx | of pgbench |
|---|---|---|---|---|---|
| pgbench, the checkout's statements (uncontended) | $pg_tps | avg $pg_lat | - | 0 | 100% |
| API, uncontended ($((nskus - 1)) SKUs at random) | $un_rps | $(echo "$un" | field p50_ms) | $(echo "$un" | field p99_ms) | $(echo "$un" | field non2xx) | $ratio |
| API, one hot row ($hot_before units) | $hot_rps | $(echo "$hot_run" | field p50_ms) | $(echo "$hot_run" | field p99_ms) | $(echo "$hot_run" | field non2xx) (409 once sold out) | - |

Hot row: $hot_before units available before, $hot_created orders placed on it, $hot_after available after;
**oversell: $oversell** units; stock rows with reserved > on_hand or < 0: **$broken**.
MD
cat "$RESULTS/reservations.md"
