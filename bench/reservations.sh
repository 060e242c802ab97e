#!/usr/bin/env bash
# Reservation benchmark (issue: stock): checkouts of one unit per second, uncontended (random
# SKUs, distinct rows) and on one hot row, at 64 concurrent clients, against pgbench running the
# checkout's statements (the previous sequence and the pipelined one) as the ceiling. Reports
# oversell (units reserved or sold beyond stock; must be 0). Writes $RESULTS/reservations.md.
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
hot_row "$BENCH_DB" "$hot" 2000
hot_before=$("${PSQL[@]}" -c "select sum(on_hand - reserved) from app.stock where variant_id = (select variant_id from public.bench_skus where sku = '$hot')")
all_skus=$("${PSQL[@]}" -c "select string_agg(sku, ',') from public.bench_skus where sku <> '$hot'")

port=$(free_port)
trap 'stop_server reservations' EXIT
start_server reservations "$port" DB_POOL_SIZE="$POOL" REDIS_URL= WORKER_ENABLED=false \
  ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret

run_wrk() { BENCH_SKUS="$1" wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$ROOT/bench/checkout.lua" "http://127.0.0.1:$port" 2>&1 | awk '/^RESULT/'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# CPU seconds of the server and of PostgreSQL during a run: "server / PostgreSQL".
cpu_mark() { c0=$(cpu_secs "$(cat "$RESULTS/reservations.pid")"); p0=$(pg_cpu_secs); }
cpu_split() {
  awk -v a="$c0" -v b="$(cpu_secs "$(cat "$RESULTS/reservations.pid")")" -v c="$p0" -v d="$(pg_cpu_secs)" \
    'BEGIN {printf "%.1f / %.1f", b - a, d - c}'
}
log "API, uncontended (${DURATION}s, $CONNS connections)"
cpu_mark
un=$(run_wrk "$all_skus")
cpu_un=$(cpu_split)
# Orders already on the hot SKU (an earlier run on this database): not this run's.
hot_prior=$("${PSQL[@]}" -c "select count(*) from app.order_lines l join app.orders o on o.id = l.order_id
  where l.sku = '$hot' and o.idempotency_key like 'bench-%'")
log "API, one hot row"
cpu_mark
hot_run=$(run_wrk "$hot")
cpu_hot=$(cpu_split)
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

# pgbench: one-unit checkouts of a random SKU as statement sequences (bench/checkout_pgbench.py
# writes them from the SQL files): the sequence checkout sent before it was pipelined, one round
# trip per statement, and the one it sends now (two pipelines). The first is the ceiling the API
# figures are compared with, as before; the second is what the new sequence allows.
tid=$("${PSQL[@]}" -c "select id from app.tenants where slug = 'fiber-x'")
zone=$("${PSQL[@]}" -c "select id from app.zones where code = 'BENCH'")
python3 "$ROOT/bench/checkout_pgbench.py" "$tid" "$zone" "$nskus" "$RESULTS"
pgb() {
  local out
  out=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -f "$RESULTS/$1.pgbench" -U brandhouse_api -h 127.0.0.1 "$BENCH_DB" 2>&1) || { echo "$out" >&2; exit 1; }
  echo "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1) $(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' | head -1)"
}
log "pgbench, the previous statement sequence, uncontended (${DURATION}s, $CONNS clients)"
read -r pg_tps pg_lat < <(pgb checkout-before)
log "pgbench, the pipelined statement sequence, uncontended (${DURATION}s, $CONNS clients)"
read -r pgp_tps pgp_lat < <(pgb checkout-after)

un_rps=$(echo "$un" | field rps); hot_rps=$(echo "$hot_run" | field rps)
ratio=$(python3 -c "print(f'{$un_rps / $pg_tps * 100:.0f}%')")
cat >"$RESULTS/reservations.md" <<MD
### Reservations: one-unit checkouts, $CONNS connections, ${DURATION} s each, API pool $POOL

| run | req/s | p50 ms | p99 ms | non-2xx | of pgbench | CPU s: server / PostgreSQL |
|---|---|---|---|---|---|---|
| pgbench, the previous checkout's statements, one round trip each (uncontended) | $pg_tps | avg $pg_lat | - | 0 | 100% | - |
| pgbench, the checkout's statements now, in two pipelines (uncontended) | $pgp_tps | avg $pgp_lat | - | 0 | $(python3 -c "print(f'{$pgp_tps / $pg_tps * 100:.0f}%')") | - |
| API, uncontended ($((nskus - 1)) SKUs at random) | $un_rps | $(echo "$un" | field p50_ms) | $(echo "$un" | field p99_ms) | $(echo "$un" | field non2xx) | $ratio | $cpu_un |
| API, one hot row ($hot_before units) | $hot_rps | $(echo "$hot_run" | field p50_ms) | $(echo "$hot_run" | field p99_ms) | $(echo "$hot_run" | field non2xx) (409 once sold out) | - | $cpu_hot |

Hot row: $hot_before units available before, $hot_created orders placed on it, $hot_after available after;
**oversell: $oversell** units; stock rows with reserved > on_hand or < 0: **$broken**.
MD
cat "$RESULTS/reservations.md"
