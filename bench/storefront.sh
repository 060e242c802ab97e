#!/usr/bin/env bash
# Storefront list benchmark (issue: catalog): the API uncached and cached against pgbench
# running the same SQL (BEGIN; set_config; the list query; COMMIT) as the ceiling, at 16
# connections, three brands in rotation. Writes $RESULTS/storefront.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env

CONNS=${BENCH_CONNECTIONS:-16}
POOL=${BENCH_POOL:-16}
port_a=$(free_port); port_b=$(free_port)
trap 'stop_server storefront-uncached; stop_server storefront-cached' EXIT

start_server storefront-uncached "$port_a" DB_POOL_SIZE="$POOL" REDIS_URL=
start_server storefront-cached "$port_b" DB_POOL_SIZE="$POOL" REDIS_URL=redis://127.0.0.1:6379

# pgbench scripts: one per brand, the exact statement the API runs.
tmp=$(mktemp -d)
for slug in fiber-x suzume showstopper; do
  storefront_list_pgbench "$slug" >"$tmp/$slug.sql"
done

run_wrk() {
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$1" 2>&1 \
    | awk '/^RESULT/ {print}'
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

log "warming up"
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port_a" >/dev/null
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port_b" >/dev/null

log "pgbench ceiling (${DURATION}s, $CONNS clients)"
pg=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" \
  -f "$tmp/fiber-x.sql@1" -f "$tmp/suzume.sql@1" -f "$tmp/showstopper.sql@1" \
  -U brandhouse_api -h 127.0.0.1 "$BENCH_DB" 2>&1) || { echo "$pg" >&2; exit 1; }
pg_tps=$(echo "$pg" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
pg_lat=$(echo "$pg" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' | head -1)

# cpu_split PIDFILE: "server s / PostgreSQL s" used since the matching cpu_mark.
cpu_mark() { c0=$(cpu_secs "$(cat "$RESULTS/$1.pid")"); p0=$(pg_cpu_secs); }
cpu_split() {
  awk -v a="$c0" -v b="$(cpu_secs "$(cat "$RESULTS/$1.pid")")" -v c="$p0" -v d="$(pg_cpu_secs)" \
    'BEGIN {printf "%.1f / %.1f", b - a, d - c}'
}
log "API uncached (${DURATION}s, $CONNS connections)"
cpu_mark storefront-uncached
un=$(run_wrk "$port_a")
cpu_un=$(cpu_split storefront-uncached)
log "API cached (${DURATION}s, $CONNS connections)"
cpu_mark storefront-cached
ca=$(run_wrk "$port_b")
cpu_ca=$(cpu_split storefront-cached)
rss_a=$(peak_rss_mib "$(cat "$RESULTS/storefront-uncached.pid")")
rss_b=$(peak_rss_mib "$(cat "$RESULTS/storefront-cached.pid")")

un_rps=$(echo "$un" | field rps); ca_rps=$(echo "$ca" | field rps)
ratio=$(python3 -c "print(f'{$un_rps / $pg_tps * 100:.0f}%')")
cratio=$(python3 -c "print(f'{$ca_rps / $pg_tps * 100:.0f}%')")
cat >"$RESULTS/storefront.md" <<MD
### Storefront list: 50 products per page with variants, 3 brands in rotation, $CONNS connections, ${DURATION} s each

| run | req/s | p50 ms | p99 ms | errors | of pgbench | peak RSS | CPU s: server / PostgreSQL |
|---|---|---|---|---|---|---|---|
| pgbench, same SQL (BEGIN; set_config; query; COMMIT) | $pg_tps | avg $pg_lat | - | 0 | 100% | - | - |
| API, uncached | $un_rps | $(echo "$un" | field p50_ms) | $(echo "$un" | field p99_ms) | $(echo "$un" | field errors) | $ratio | $rss_a MiB | $cpu_un |
| API, cached (Redis) | $ca_rps | $(echo "$ca" | field p50_ms) | $(echo "$ca" | field p99_ms) | $(echo "$ca" | field errors) | $cratio | $rss_b MiB | $cpu_ca |
MD
cat "$RESULTS/storefront.md"
rm -rf "$tmp"
