#!/usr/bin/env bash
# Several builds side by side (issue 22: "report today's and the new figure from one run on the
# same data"): the uncached storefront list, the product detail, and one-unit checkouts
# uncontended and on one hot row, each served by every binary in turn, rounds alternating (the
# order reversed every other round, so neither side always runs on the warmer or the fuller
# database).
#
#   BENCH_VERSIONS="before=/tmp/bin/base after=target/release/brandhouse" bash bench/versions.sh
#
# Each binary migrates and seeds a database of its own with `brandhouse demo` (the same demo
# data: a binary from before a migration cannot serve a database after it), brandhouse_bench_NAME,
# and keeps its own seed data directory. The list and detail rounds run first, on the databases
# as seeded. Then bench/stock.sql stocks each for the checkouts (the hot SKU at 2,000 units),
# and that state is kept as a template: every checkout run starts from a fresh copy of it, with
# its server restarted, so no run inherits another's unpaid orders and holds (an older binary's
# checkout slows as they pile up). Every hot-row run's orders are counted against its 2,000 units
# (oversell must be 0). Servers: uncached (no Redis), workers off, API pool BENCH_POOL (16). The
# CPU columns are what the server and PostgreSQL used in the run.
# Writes $RESULTS/versions.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
"$ROOT/scripts/ensure-services.sh"

ROUNDS=${BENCH_ROUNDS:-2}
# Which runs, in this order (a subset for a quicker look).
RUNS=${BENCH_RUNS:-list detail checkout hot}
POOL=${BENCH_POOL:-16}
read -r -a versions <<<"${BENCH_VERSIONS:?BENCH_VERSIONS=\"name=binary name=binary\"}"
names=()
declare -A bins ports
for v in "${versions[@]}"; do
  name=${v%%=*}
  [[ $name =~ ^[a-z0-9_]+$ ]] || { log "version name '$name': lower-case letters, digits, _"; exit 1; }
  names+=("$name"); bins[$name]=${v#*=}
done

export RUST_LOG=${RUST_LOG:-warn} RATE_LIMITS=${RATE_LIMITS:-off}
trap 'for n in "${names[@]}"; do stop_server "versions-$n"; done' EXIT

db_of() { echo "${BENCH_DB}_$1"; }
psql_of() { psql "$ADMIN/$(db_of "$1")" -XAtq -v ON_ERROR_STOP=1 "${@:2}"; }
# Environment for binary $1's database.
env_of() {
  local db; db=$(db_of "$1")
  echo DATABASE_URL="postgres://brandhouse_api@127.0.0.1:5432/$db" \
    ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@127.0.0.1:5432/$db" \
    MIGRATION_DATABASE_URL="$ADMIN/$db"
}

start() {
  # shellcheck disable=SC2046
  SEED_DATA="$RESULTS/versions-$1-seed.data" BIN=${bins[$1]} start_server "versions-$1" "${ports[$1]}" \
    $(env_of "$1") DB_POOL_SIZE="$POOL" REDIS_URL= WORKER_ENABLED=false \
    ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret
}

for n in "${names[@]}"; do
  db=$(db_of "$n")
  log "$n: seeding $db with ${bins[$n]}"
  psql "$ADMIN/postgres" -Xqc "drop database if exists $db with (force)"
  psql "$ADMIN/postgres" -Xqc "drop database if exists ${db}_stocked with (force)"
  # shellcheck disable=SC2046
  (export $(env_of "$n"); BIN=${bins[$n]} seed_demo "$RESULTS/versions-$n-seed.data" "$RESULTS/versions-$n-seed.log")
  psql_of "$n" -c "vacuum analyze"
  ports[$n]=$(free_port)
  start "$n"
done

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
# run NAME CONNS LUA [ENV=VAL...]: one wrk run against NAME's server; prints its RESULT line
# followed by "cpu=<server s>/<PostgreSQL s>".
run() {
  local n=$1 conns=$2 lua=$3; shift 3
  local pid c0 p0 out
  pid=$(cat "$RESULTS/versions-$n.pid")
  c0=$(cpu_secs "$pid"); p0=$(pg_cpu_secs)
  out=$(env "$@" wrk -t2 -c"$conns" -d"${DURATION}s" --latency -s "$ROOT/bench/$lua" \
    "http://127.0.0.1:${ports[$n]}" 2>&1 | awk '/^RESULT/')
  echo "$out $(awk -v a="$c0" -v b="$(cpu_secs "$pid")" -v c="$p0" -v d="$(pg_cpu_secs)" \
    'BEGIN {printf "cpu=%.1f/%.1f", b - a, d - c}')"
}
cpu() { sed -n 's/.*cpu=\([0-9.\/]*\).*/\1/p' | sed 's#/# / #'; }

log "warming up every server"
for n in "${names[@]}"; do
  wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:${ports[$n]}" >/dev/null
  wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront-detail.lua" "http://127.0.0.1:${ports[$n]}" >/dev/null
done

rows=""
checks=""
# order ROUND: the binaries' names, reversed every other round.
order() {
  if (( $1 % 2 == 0 )); then
    for (( i=${#names[@]}-1; i>=0; i-- )); do echo "${names[$i]}"; done
  else
    printf '%s\n' "${names[@]}"
  fi
}
row() {
  local errs; errs=$(echo "$5" | field errors); [ -n "$errs" ] || errs=$(echo "$5" | field non2xx)
  rows+="| $1 | $2 | $3 | $(echo "$5" | field rps) | $(echo "$5" | field p50_ms) | $(echo "$5" | field p99_ms) | $errs | $(echo "$5" | cpu) |"$'\n'
}
for what in list detail; do
  [[ " $RUNS " == *" $what "* ]] || continue
  for round in $(seq 1 "$ROUNDS"); do
    for n in $(order "$round"); do
      log "round $round, $what, $n (${DURATION}s)"
      case $what in
        list) r=$(run "$n" 16 storefront.lua) ;;
        detail) r=$(run "$n" 16 storefront-detail.lua) ;;
      esac
      row "$round" "$what" "$n" - "$r"
    done
  done
done

declare -A hot skus prior
for n in "${names[@]}"; do
  stop_server "versions-$n"
  db=$(db_of "$n")
  log "$n: stocking $db for the checkouts"
  psql_of "$n" -f "$ROOT/bench/stock.sql"
  hot[$n]=$(psql_of "$n" -c "select sku from public.bench_skus order by i limit 1")
  skus[$n]=$(psql_of "$n" -c "select string_agg(sku, ',') from public.bench_skus where sku <> '${hot[$n]}'")
  hot_row "$db" "${hot[$n]}" 2000
  prior[$n]=$(psql_of "$n" -c "select count(*) from app.order_lines l join app.orders o on o.id = l.order_id
    where l.sku = '${hot[$n]}' and o.idempotency_key like 'bench-%'")
  psql_of "$n" -c "vacuum analyze"
  psql "$ADMIN/postgres" -Xqc "create database ${db}_stocked template $db"
done
# fresh NAME: its database as stocked, its server restarted on it.
fresh() {
  local db; db=$(db_of "$1")
  stop_server "versions-$1"
  psql "$ADMIN/postgres" -Xqc "drop database $db with (force)"
  psql "$ADMIN/postgres" -Xqc "create database $db template ${db}_stocked"
  start "$1"
  # The pool's connections opened by reads, so the run does not pay for them.
  wrk -t1 -c16 -d1s -s "$ROOT/bench/storefront-detail.lua" "http://127.0.0.1:${ports[$1]}" >/dev/null
}
for what in checkout hot; do
  [[ " $RUNS " == *" $what "* ]] || continue
  for round in $(seq 1 "$ROUNDS"); do
    for n in $(order "$round"); do
      fresh "$n"
      log "round $round, $what, $n (${DURATION}s)"
      case $what in
        checkout) r=$(run "$n" 64 checkout.lua BENCH_SKUS="${skus[$n]}") ;;
        hot)
          r=$(run "$n" 64 checkout.lua BENCH_SKUS="${hot[$n]}")
          # wrk stops with requests in flight: let the server finish them.
          sleep 2
          # Orders a second: this run's orders over the span of their transactions' starts
          # (the 2,000 units may sell out before the run ends).
          read -r created span broken < <(psql_of "$n" -F ' ' -c "
            select count(*) - ${prior[$n]},
                   round(extract(epoch from max(o.created_at) - min(o.created_at)), 2),
                   (select count(*) from app.stock where reserved > on_hand or reserved < 0)
            from app.order_lines l join app.orders o on o.id = l.order_id
            where l.sku = '${hot[$n]}' and o.idempotency_key like 'bench-%'")
          rate=$(python3 -c "print(f'{$created / $span:.1f}' if $span > 0 else '-')")
          checks+="| $round | $n | $created | $span | $rate | $(( created > 2000 ? created - 2000 : 0 )) | $broken |"$'\n'
          ;;
      esac
      row "$round" "$what" "$n" - "$r"
    done
  done
done
for n in "${names[@]}"; do psql "$ADMIN/postgres" -Xqc "drop database $(db_of "$n")_stocked"; done

{
  echo "### Versions side by side: ${names[*]} (${DURATION} s a run, $ROUNDS rounds)"
  echo
  for n in "${names[@]}"; do echo "- $n: \`${bins[$n]}\`"; done
  echo
  echo "list and detail: 16 connections, uncached; checkout: one unit, 64 connections, uncontended (random SKUs) and one hot row (2,000 units)."
  echo
  echo "| round | run | binary | req/s | p50 ms | p99 ms | errors / non-2xx | CPU s: server / PostgreSQL |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s' "$rows"
  echo
  echo "Hot row (2,000 units each run):"
  echo
  echo "| round | binary | orders | first to last order, s | orders/s | oversell | stock rows out of bounds |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$checks"
} >"$RESULTS/versions.md"
cat "$RESULTS/versions.md"
