#!/usr/bin/env bash
# Login flood benchmark (issue: global seams): 200 concurrent unauthenticated logins (unknown
# emails, wrong passwords) against one server while a legitimate client reads the storefront at
# 4 connections. The per-client login throttle and the rate limits are off here (as for an
# attack spread over many addresses), so every attempt asks for a password check: what bounds
# the server is the hash gate (LOGIN_MAX_CONCURRENT_HASHES permits, LOGIN_HASH_WAIT_MS wait,
# then 429 with Retry-After). BENCH_LOGIN_RUNS times (2; one fresh server each, so the table
# shows the run-to-run spread on a shared machine) measures the storefront's p99 alone and under
# the flood, the logins the flood got checked, and the server's peak RSS, once per CPU budget
# of the check threads in BENCH_LOGIN_BUDGETS ("100 50": no budget, then the default half a
# core; LOGIN_HASH_CPU_PERCENT), side by side in each run. Writes $RESULTS/login.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env

FLOOD=${BENCH_FLOOD_CONNECTIONS:-200}
READERS=${BENCH_READERS:-4}
RUNS=${BENCH_LOGIN_RUNS:-2}
BUDGETS=${BENCH_LOGIN_BUDGETS:-100 50}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
rows=""
for run in $(seq 1 "$RUNS"); do
for budget in $BUDGETS; do
# Every run starts with no throttle state.
clear_login_throttle "$BENCH_DB"
port=$(free_port)
trap 'stop_server login' EXIT
start_server login "$port" REDIS_URL= WORKER_ENABLED=false LOGIN_MAX_FAILURES_PER_CLIENT=1000000000 \
  LOGIN_HASH_CPU_PERCENT="$budget"
pid=$(cat "$RESULTS/login.pid")
url="http://127.0.0.1:$port"
reads() {
  wrk -t1 -c"$READERS" -d"${DURATION}s" --latency -s "$ROOT/bench/storefront.lua" "$url" 2>&1 | awk '/^RESULT/ {print}'
}
rss_now() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }

log "run $run, check budget $budget%: warming up"
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "$url" >/dev/null
rss_idle=$(rss_now)

log "storefront alone (${DURATION}s, $READERS connections)"
alone=$(reads)

log "storefront under a login flood ($FLOOD connections, ${DURATION}s)"
flood_out="$RESULTS/login-flood.out"
wrk -t2 -c"$FLOOD" -d"$((DURATION + 2))s" --timeout 10s --latency -s "$ROOT/bench/login.lua" "$url" >"$flood_out" 2>&1 &
flood_pid=$!
sleep 1
under=$(reads)
wait "$flood_pid"
flood=$(awk '/^RESULT/ {print}' "$flood_out")
rss_peak=$(peak_rss_mib "$pid")
stop_server login
rows+="| $run | $budget% | $(echo "$alone" | field rps), $(echo "$alone" | field p99_ms) | $(echo "$under" | field rps), $(echo "$under" | field p99_ms) | $(echo "$under" | field errors) | $(echo "$flood" | field s401) / $(echo "$flood" | field s429) / $(echo "$flood" | field s5xx) / $(echo "$flood" | field sockerr) | $(echo "$flood" | field p50_ms), $(echo "$flood" | field p99_ms) | $rss_idle, $rss_peak |
"
done
done

cat >"$RESULTS/login.md" <<MD
### Login flood: $FLOOD concurrent unauthenticated logins while the storefront is read at $READERS connections, ${DURATION} s

| run | check threads' CPU budget | storefront alone: req/s, p99 ms | under the flood: req/s, p99 ms | storefront errors | flood: 401 (checked) / 429 (busy) / 5xx / socket errors | flood p50, p99 ms | server RSS MiB: idle, peak |
|---|---|---|---|---|---|---|---|
$rows
MD
cat "$RESULTS/login.md"
