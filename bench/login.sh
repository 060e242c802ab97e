#!/usr/bin/env bash
# Login flood benchmark (issue: global seams): 200 concurrent unauthenticated logins (unknown
# emails, wrong passwords) against one server while a legitimate client reads the storefront at
# 4 connections. The per-client login throttle and the rate limits are off here (as for an
# attack spread over many addresses), so every attempt asks for a password check: what bounds
# the server is the hash gate (LOGIN_MAX_CONCURRENT_HASHES permits, LOGIN_HASH_WAIT_MS wait,
# then 429 with Retry-After). Measures the storefront's p99 alone and under the flood, and the
# server's peak RSS. Writes $RESULTS/login.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env

FLOOD=${BENCH_FLOOD_CONNECTIONS:-200}
READERS=${BENCH_READERS:-4}
port=$(free_port)
trap 'stop_server login' EXIT
start_server login "$port" REDIS_URL= WORKER_ENABLED=false LOGIN_MAX_FAILURES_PER_CLIENT=1000000000
pid=$(cat "$RESULTS/login.pid")
url="http://127.0.0.1:$port"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
reads() {
  wrk -t1 -c"$READERS" -d"${DURATION}s" --latency -s "$ROOT/bench/storefront.lua" "$url" 2>&1 | awk '/^RESULT/ {print}'
}
rss_now() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }

log "warming up"
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "$url" >/dev/null
rss_idle=$(rss_now)

log "storefront alone (${DURATION}s, $READERS connections)"
alone=$(reads)
rss_alone=$(peak_rss_mib "$pid")

log "storefront under a login flood ($FLOOD connections, ${DURATION}s)"
flood_out="$RESULTS/login-flood.out"
wrk -t2 -c"$FLOOD" -d"$((DURATION + 2))s" --timeout 10s --latency -s "$ROOT/bench/login.lua" "$url" >"$flood_out" 2>&1 &
flood_pid=$!
sleep 1
under=$(reads)
wait "$flood_pid"
flood=$(awk '/^RESULT/ {print}' "$flood_out")
rss_peak=$(peak_rss_mib "$pid")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")

cat >"$RESULTS/login.md" <<MD
### Login flood: $FLOOD concurrent unauthenticated logins while the storefront is read at $READERS connections, ${DURATION} s

| run | storefront req/s | storefront p50 ms | storefront p99 ms | errors |
|---|---|---|---|---|
| storefront alone | $(echo "$alone" | field rps) | $(echo "$alone" | field p50_ms) | $(echo "$alone" | field p99_ms) | $(echo "$alone" | field errors) |
| storefront under the flood | $(echo "$under" | field rps) | $(echo "$under" | field p50_ms) | $(echo "$under" | field p99_ms) | $(echo "$under" | field errors) |

| login flood | req/s | p50 ms | p99 ms | 401 (checked) | 429 (hash gate busy) | 5xx | socket errors |
|---|---|---|---|---|---|---|---|
| $FLOOD connections | $(echo "$flood" | field rps) | $(echo "$flood" | field p50_ms) | $(echo "$flood" | field p99_ms) | $(echo "$flood" | field s401) | $(echo "$flood" | field s429) | $(echo "$flood" | field s5xx) | $(echo "$flood" | field sockerr) |

Server memory: $rss_idle MiB resident after warm-up, peak $rss_alone MiB after the storefront alone, peak $rss_peak MiB after the flood ($threads threads at the end).
MD
cat "$RESULTS/login.md"
