#!/usr/bin/env bash
# Maintained availability (sql/V32__maintained_availability.sql) against V11's aggregation, side
# by side in one run: the uncached storefront list (the same wrk script as storefront.sh, 16
# connections, three brands in rotation) on two databases with the same data, served by the
# same binary. The database "before" is a copy of the bench database in which V11's readers
# (app.variant_availability, app.available) are put back: the list statement then aggregates
# stock rows and holds per request, exactly as before V32; nothing else differs (V32 changes no
# Rust code on this path). Rounds alternate (before, after, before, after) to spread the
# machine's noise. Also writes EXPLAIN ANALYZE of the list statement (Showstopper, first page)
# on both databases. Writes $RESULTS/availability.md.
#
# Since sql/V40__availability_by_product.sql the storefront reads app.product_availability, which
# this script does not put back: it compares V11 with V32 on trees before V40 only.
# bench/prerender.sh BENCH_OLD=v32 compares V32's reader with V40's.
source "$(dirname "$0")/lib.sh"
if grep -q product_availability "$ROOT/src/catalog/sql/storefront_item.sql"; then
  log "this tree reads availability by product (V40): use bench/prerender.sh with BENCH_OLD=v32"
  exit 1
fi
need wrk wrk
db_env

CONNS=${BENCH_CONNECTIONS:-16}
POOL=${BENCH_POOL:-16}
ROUNDS=${BENCH_ROUNDS:-2}
BEFORE_DB="${BENCH_DB}_v11"
port_a=$(free_port); port_b=$(free_port)
trap 'stop_server availability-before; stop_server availability-after' EXIT

log "copying $BENCH_DB to $BEFORE_DB with V11's readers"
psql "$ADMIN/postgres" -Xqc "drop database if exists $BEFORE_DB with (force)"
psql "$ADMIN/postgres" -Xqc "create database $BEFORE_DB template $BENCH_DB"
# V11's two functions, as that file creates them (create -> create or replace).
python3 - "$ROOT/sql/V11__availability.sql" >"$RESULTS/availability-v11.sql" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for m in re.finditer(r"create (?:or replace )?function app\.(?:variant_availability|available)\b.*?\$\$;", text, re.S):
    print(m.group(0).replace("create function", "create or replace function", 1))
PY
psql "$ADMIN/$BEFORE_DB" -Xq -v ON_ERROR_STOP=1 -f "$RESULTS/availability-v11.sql"
psql "$ADMIN/$BEFORE_DB" -Xq -c "analyze"
psql "$ADMIN/$BENCH_DB" -Xq -c "analyze"

start_server availability-before "$port_a" DB_POOL_SIZE="$POOL" REDIS_URL= \
  DATABASE_URL="postgres://brandhouse_api@127.0.0.1:5432/$BEFORE_DB" \
  ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@127.0.0.1:5432/$BEFORE_DB" \
  MIGRATION_DATABASE_URL="$ADMIN/$BEFORE_DB"
start_server availability-after "$port_b" DB_POOL_SIZE="$POOL" REDIS_URL=

run_wrk() {
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$1" 2>&1 \
    | awk '/^RESULT/ {print}'
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

log "warming up"
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port_a" >/dev/null
wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port_b" >/dev/null

rows=""; pgrows=""
for round in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    port=$port_a; [ "$side" = after ] && port=$port_b
    log "round $round, $side (${DURATION}s, $CONNS connections)"
    r=$(run_wrk "$port")
    rows+="| $round | $side | $(echo "$r" | field rps) | $(echo "$r" | field p50_ms) | $(echo "$r" | field p99_ms) | $(echo "$r" | field errors) |"$'\n'
  done
done

# The ceiling on each side: pgbench running the list statement itself (as storefront.sh builds
# it: BEGIN; set_config; the statement; COMMIT, one script per brand), as the API role.
tmp=$(mktemp -d)
for slug in fiber-x suzume showstopper; do
  storefront_list_pgbench "$slug" >"$tmp/$slug.sql"
done
for round in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    db=$BEFORE_DB; [ "$side" = after ] && db=$BENCH_DB
    log "pgbench round $round, $side (${DURATION}s, $CONNS clients)"
    pg=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" \
      -f "$tmp/fiber-x.sql@1" -f "$tmp/suzume.sql@1" -f "$tmp/showstopper.sql@1" \
      -U brandhouse_api -h 127.0.0.1 "$db" 2>&1) || { echo "$pg" >&2; exit 1; }
    tps=$(echo "$pg" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    lat=$(echo "$pg" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' | head -1)
    pgrows+="| $round | $side | $tps | avg $lat |"$'\n'
  done
done
rm -rf "$tmp"

# The list statement for Showstopper's first page, as storefront.sh builds it for pgbench (the
# script's third line, without its semicolon).
read -r tid < <(psql "$ADMIN/$BENCH_DB" -XAt -c "select id from app.tenants where slug = 'showstopper'")
stmt=$(storefront_list_pgbench showstopper | sed -n '3s/;$//p')
explain() {
  psql "postgres://brandhouse_api@127.0.0.1:5432/$1" -XAt <<SQL
begin;
select set_config('app.tenant_id', '$tid', true), set_config('app.user_id', '', true), set_config('app.role', 'storefront', true) \g /dev/null
explain (analyze, buffers, costs off) $stmt;
explain (analyze, buffers, costs off) $stmt;
commit;
SQL
}
explain "$BEFORE_DB" >"$RESULTS/availability-explain-before.txt"
explain "$BENCH_DB" >"$RESULTS/availability-explain-after.txt"

cat >"$RESULTS/availability.md" <<MD
### Maintained availability: uncached storefront list, before (V11's aggregation) and after (V32), $CONNS connections, ${DURATION} s each

| round | readers | req/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
$rows
pgbench, the list statement alone (BEGIN; set_config; query; COMMIT), $CONNS clients:

| round | readers | tps | latency |
|---|---|---|---|
$pgrows
EXPLAIN ANALYZE (second run of each, Showstopper's first page): \`bench/results/availability-explain-before.txt\`, \`bench/results/availability-explain-after.txt\`.
MD
cat "$RESULTS/availability.md"
grep -h "Execution Time" "$RESULTS/availability-explain-before.txt" "$RESULTS/availability-explain-after.txt" >&2 || true
