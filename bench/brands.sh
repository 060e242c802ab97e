#!/usr/bin/env bash
# 1,000 brands (issue 18, point 10): does a request cost more when the database holds 1,000
# brands than when it holds 3? Two copies of the bench database get generated brands of the
# same shape (bench/brands-data.sql: 100 products x 10 variants each, stock, Fiber X's delivery
# settings): 3 in one, 1,000 in the other. One server per database (same binary, uncached);
# rounds alternate between them: the storefront list (16 connections) and one-unit checkouts
# (64 connections), each request for a random generated brand. Then onboarding: 10 brands
# created through the owner API on each database, timed, with the number of relations, indexes
# and policies before and after (a brand must be rows, not DDL). Writes $RESULTS/brands.md.
source "$(dirname "$0")/lib.sh"
need wrk wrk
db_env
ROUNDS=${BENCH_ROUNDS:-2}
MANY=${BENCH_BRAND_COUNT:-1000}
small="${BENCH_DB}_b3"; large="${BENCH_DB}_b$MANY"

for spec in "$small:3" "$large:$MANY"; do
  db=${spec%%:*}; n=${spec##*:}
  # Kept between runs unless the bench database has been migrated further since.
  have=$(psql "$ADMIN/$db" -XAtq -c "select count(*) || ':' || (select max(version) from refinery_schema_history) from app.tenants where slug like 'scale-%'" 2>/dev/null || true)
  if [ "$have" != "$n:$(psql "$ADMIN/$BENCH_DB" -XAtq -c "select max(version) from refinery_schema_history")" ]; then
    log "generating $n brands x 1,000 SKUs in $db"
    psql "$ADMIN/postgres" -Xq -c "drop database if exists $db with (force)" -c "create database $db template $BENCH_DB"
    start=$(date +%s)
    psql "$ADMIN/$db" -Xq -v n="$n" -f "$ROOT/bench/brands-data.sql"
    log "generated in $(( $(date +%s) - start )) s"
  fi
done
BENCH_BRANDS_SMALL=$(psql "$ADMIN/$small" -XAt -c "select string_agg(slug || ':' || sku_prefix, ',') from app.tenants where slug like 'scale-%'")
BENCH_BRANDS_LARGE=$(psql "$ADMIN/$large" -XAt -c "select string_agg(slug || ':' || sku_prefix, ',') from app.tenants where slug like 'scale-%'")

port_s=$(free_port); port_l=$(free_port)
trap 'stop_server brands-3; stop_server brands-many' EXIT
common=(DB_POOL_SIZE=16 REDIS_URL= WORKER_ENABLED=false ORDER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret)
for spec in "brands-3:$port_s:$small" "brands-many:$port_l:$large"; do
  IFS=: read -r name port db <<<"$spec"
  start_server "$name" "$port" "${common[@]}" DATABASE_URL="postgres://brandhouse_api@127.0.0.1:5432/$db" \
    ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@127.0.0.1:5432/$db" MIGRATION_DATABASE_URL="$ADMIN/$db"
done

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
run() { # port brands mode conns
  BENCH_BRANDS="$2" BENCH_MODE="$3" wrk -t2 -c"$4" -d"${DURATION}s" -s "$ROOT/bench/brands.lua" "http://127.0.0.1:$1" 2>&1 | awk '/^RESULT/'
}
rows=()
for round in $(seq 1 "$ROUNDS"); do
  for mode_conns in list:16 checkout:64; do
    mode=${mode_conns%%:*}; conns=${mode_conns##*:}
    log "round $round: $mode, 3 brands"
    a=$(run "$port_s" "$BENCH_BRANDS_SMALL" "$mode" "$conns")
    log "round $round: $mode, $MANY brands"
    b=$(run "$port_l" "$BENCH_BRANDS_LARGE" "$mode" "$conns")
    ratio=$(python3 -c "print(f'{$(echo "$a" | field rps) / max($(echo "$b" | field rps), 0.1):.2f}')")
    rows+=("| $round | $mode ($conns conns) | $(echo "$a" | field rps) / $(echo "$b" | field rps) | $(echo "$a" | field p50_ms) / $(echo "$b" | field p50_ms) | $(echo "$a" | field p99_ms) / $(echo "$b" | field p99_ms) | $(echo "$a" | field non2xx) / $(echo "$b" | field non2xx) | **$ratio** |")
  done
done

# Onboarding: 10 brands through the owner API (the demo's owner) on each database;
# relations/indexes/policies counted before and after.
onboard() { # port db tag
  local token before after t0 t1 i made=0 code
  token=$(owner_token "$1")
  local count="select (select count(*) from pg_class) || ' ' || (select count(*) from pg_index) || ' ' || (select count(*) from pg_policy)"
  before=$(psql "$ADMIN/$2" -XAt -c "$count")
  t0=$(date +%s%N)
  for i in $(seq 1 10); do
    # A random prefix may be taken by an earlier run's brand (409): draw again, a few times.
    for _ in 1 2 3 4 5; do
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
        -d "{\"slug\":\"onboard-$3-$i-$$\",\"name\":\"Onboarded $i\",\"sku_prefix\":\"$(python3 -c "import random,string; print('Z'+''.join(random.choice(string.ascii_uppercase) for _ in range(2)))")\"}" \
        "http://127.0.0.1:$1/v1/admin/brands")
      [ "$code" = 409 ] || break
    done
    [ "$code" = 201 ] && made=$((made + 1))
  done
  t1=$(date +%s%N)
  after=$(psql "$ADMIN/$2" -XAt -c "$count")
  echo "$(( (t1 - t0) / 10000000 ))|$before|$after|$made"
}
brands_s=$(psql "$ADMIN/$small" -XAt -c "select count(*) from app.tenants")
brands_l=$(psql "$ADMIN/$large" -XAt -c "select count(*) from app.tenants")
IFS='|' read -r on_s before_s after_s made_s < <(onboard "$port_s" "$small" s)
IFS='|' read -r on_l before_l after_l made_l < <(onboard "$port_l" "$large" l)

{
  echo "### 3 brands against $MANY brands of the same shape (100 products x 10 variants each), ${DURATION} s per run, uncached"
  echo
  echo "| round | load | req/s (3 / many) | p50 ms (3 / many) | p99 ms (3 / many) | non-2xx (3 / many) | cost ratio many : 3 |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Onboarding (10 brands through \`POST /v1/admin/brands\`, sequential; created $made_s and $made_l): $on_s ms per brand with $brands_s brands before, $on_l ms per brand with $brands_l brands before; relations / indexes / policies before and after: $before_s -> $after_s and $before_l -> $after_l."
} >"$RESULTS/brands.md"
cat "$RESULTS/brands.md"
