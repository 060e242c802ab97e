#!/usr/bin/env bash
# Memory soak (issue 22, point 6): one server (uncached, worker on) under the storefront list,
# product detail and one-unit checkouts at once for BENCH_SOAK_SECS (default 300) on loopback;
# its resident memory is sampled every 10 s. Reports the peak, the memory after the first minute
# and at the end, and the growth per minute after the first minute (least squares over the
# samples): a leak shows as a steady positive slope. Writes $RESULTS/soak.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env

SOAK=${BENCH_SOAK_SECS:-300}
PSQL=(psql "$ADMIN/$BENCH_DB" -XAtq -v ON_ERROR_STOP=1)
"${PSQL[@]}" -f "$ROOT/bench/stock.sql"
skus=$("${PSQL[@]}" -c "select string_agg(sku, ',') from public.bench_skus")

port=$(free_port)
samples=$(mktemp)
trap 'stop_server soak; rm -f "$samples"' EXIT
start_server soak "$port" DB_POOL_SIZE="${BENCH_POOL:-16}" REDIS_URL= \
  ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret
pid=$(cat "$RESULTS/soak.pid")
url="http://127.0.0.1:$port"

log "soak: list (4), detail (4) and checkout (8 connections) for ${SOAK}s"
start=$(date +%s)
cpu0=$(cpu_secs "$pid"); pg0=$(pg_cpu_secs)
wrk -t1 -c4 -d"${SOAK}s" -s "$ROOT/bench/storefront.lua" "$url" 2>&1 | awk '/^RESULT/' >"$samples.list" &
w1=$!
wrk -t1 -c4 -d"${SOAK}s" -s "$ROOT/bench/storefront-detail.lua" "$url" 2>&1 | awk '/^RESULT/' >"$samples.detail" &
w2=$!
BENCH_SKUS="$skus" wrk -t1 -c8 -d"${SOAK}s" -s "$ROOT/bench/checkout.lua" "$url" 2>&1 | awk '/^RESULT/' >"$samples.checkout" &
w3=$!
while kill -0 "$w1" 2>/dev/null || kill -0 "$w2" 2>/dev/null || kill -0 "$w3" 2>/dev/null; do
  printf '%s %s\n' "$(( $(date +%s) - start ))" "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")" >>"$samples"
  sleep 10
done
wait "$w1" "$w2" "$w3" || true
peak=$(peak_rss_mib "$pid")
cpu=$(awk -v a="$cpu0" -v b="$(cpu_secs "$pid")" 'BEGIN {printf "%.0f", b - a}')
pg=$(awk -v a="$pg0" -v b="$(pg_cpu_secs)" 'BEGIN {printf "%.0f", b - a}')

read -r at60 at_end slope < <(python3 - "$samples" <<'PY'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
after = [(t, m) for t, m in rows if t >= 60] or rows
n = len(after)
mt = sum(t for t, _ in after) / n
mm = sum(m for _, m in after) / n
var = sum((t - mt) ** 2 for t, _ in after)
slope = sum((t - mt) * (m - mm) for t, m in after) / var * 60 if var else 0.0
print(f"{after[0][1]:.1f} {after[-1][1]:.1f} {slope:+.2f}")
PY
)
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
row() { local r; r=$(cat "$samples.$1"); echo "| $1 | $(echo "$r" | field rps) | $(echo "$r" | field p50_ms) | $(echo "$r" | field p99_ms) | $(echo "$r" | field requests) | $(echo "$r" | field errors)$(echo "$r" | field non2xx) |"; }
cat >"$RESULTS/soak.md" <<MD
### Memory soak: list (4), detail (4) and checkout (8 connections) at once, ${SOAK} s, uncached, worker on

| stream | req/s | p50 ms | p99 ms | requests | errors (non-2xx included) |
|---|---|---|---|---|---|
$(row list)
$(row detail)
$(row checkout)

| server RSS after 60 s | at the end | peak | growth after the first minute | CPU s: server / PostgreSQL |
|---|---|---|---|---|
| $at60 MiB | $at_end MiB | $peak MiB | $slope MiB/min | $cpu / $pg |
MD
rm -f "$samples".*
cat "$RESULTS/soak.md"
