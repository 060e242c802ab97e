#!/usr/bin/env bash
# Event delivery benchmark (issue: events): STREAMS live streams open across the three demo
# brands (the owner's token, each stream on one brand), while storefront checkouts arrive at RATE
# orders per second across the brands (open loop). Reports the latency from each order's COMMIT
# (the checkout's answer) and from its request to the order.created event's arrival on every
# open stream of its brand (p50/p99), deliveries against the expected count, and the server's
# memory per open stream. Writes $RESULTS/events.md.
source "$(dirname "$0")/lib.sh"
db_env

STREAMS=${BENCH_STREAMS:-100}
RATE=${BENCH_ORDER_RATE:-200}
PSQL=(psql "$ADMIN/$BENCH_DB" -XAtq -v ON_ERROR_STOP=1)
log "preparing stock: zone BENCH, 1,000,000 units of every active SKU of every brand"
"${PSQL[@]}" <<'SQL'
insert into app.zones (code, name, priority) values ('BENCH', 'Bench zone', 1) on conflict (code) do nothing;
with z as (select id from app.zones where code = 'BENCH'),
     v as (select v.tenant_id, v.id from app.variants v
           join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
           where v.is_active and p.status = 'active'),
     s as (insert into app.stock (tenant_id, variant_id, zone_id, on_hand)
           select v.tenant_id, v.id, z.id, 1000000 from v, z
           on conflict (tenant_id, variant_id, zone_id) do update set on_hand = app.stock.on_hand + 1000000
           returning tenant_id, variant_id, zone_id)
insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta, reason)
select tenant_id, variant_id, zone_id, 'receive', 1000000, 'bench' from s;
SQL
skus="$RESULTS/events-skus.txt"
"${PSQL[@]}" -F ' ' -c "
  select t.slug, v.sku from app.variants v join app.tenants t on t.id = v.tenant_id
  join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
  where v.is_active and p.status = 'active' order by 1, 2" >"$skus"

port=$(free_port)
trap 'stop_server events' EXIT
start_server events "$port" REDIS_URL= WORKER_ENABLED=false
url="http://127.0.0.1:$port"
token=$(owner_token "$port")

log "$STREAMS streams, $RATE orders/s for ${DURATION}s"
out=$(BASE_URL="$url" TOKEN="$token" SKUS_FILE="$skus" SERVER_PID="$(cat "$RESULTS/events.pid")" \
  STREAMS="$STREAMS" RATE="$RATE" SECS="$DURATION" python3 "$ROOT/bench/events_load.py" | awk '/^RESULT/ {print}')
field() { echo "$out" | sed -n "s/.* $1=\([0-9.a-z]*\).*/\1/p"; }

cat >"$RESULTS/events.md" <<MD
### Events: $STREAMS open streams over 3 brands, checkouts at $RATE/s for ${DURATION} s

| orders placed (per s) | failed checkouts | deliveries / expected | COMMIT to stream p50 / p99 ms | request to stream p50 / p99 ms | memory per open stream |
|---|---|---|---|---|---|
| $(field orders) ($(field orders_per_s)) | $(field failed_checkouts) | $(field deliveries) / $(field expected) | $(field commit_p50_ms) / $(field commit_p99_ms) | $(field request_p50_ms) / $(field request_p99_ms) | $(field kib_per_stream) KiB |

Server resident memory: $(field rss_before_mib) MiB before the streams, $(field rss_streams_mib) MiB with them open, $(field rss_after_mib) MiB after the load. Deliveries before the checkout's answer arrived: $(field early) (counted as 0 ms). Deliveries of an order its stream's brand did not place: $(field unknown).
MD
cat "$RESULTS/events.md"
