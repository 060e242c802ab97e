#!/usr/bin/env bash
# Pre-rendered storefront documents (sql/V35__storefront_documents.sql) against the statements
# that built each product's JSON per request, side by side in one run on one database (the
# bench database, which has the documents; the old statements simply do not read them):
#
# * pgbench runs the old and the new list statement (first page of 50, three brands in
#   rotation, 16 clients), then the old and the new detail statement (a random product of the
#   first 75 of each brand), rounds alternating; latency percentiles from pgbench's
#   per-transaction log. The old statements are tests/api/sql/storefront_{list,product}_v34.sql
#   followed by storefront_item_v34.sql
#   (the same files tests/api/documents.rs compares the bytes with).
# * With BEFORE_BIN (a binary built from the commit before V35), the API too: the same wrk
#   scripts against a server running BEFORE_BIN and one running BENCH_BIN, uncached (no Redis),
#   list (bench/storefront.lua) and detail (bench/storefront-detail.lua), rounds alternating.
# * EXPLAIN ANALYZE of both list statements (Showstopper's first page).
#
# BENCH_OLD=v32 puts another "old" side against today's statements: the statements as they were
# before V40 (bench/storefront_item_v39.sql: PostgreSQL builds each product's JSON) with V32's
# reader (one primary-key lookup per variant), against today's (the figures read by product,
# sql/V40__availability_by_product.sql; the API writes the JSON). For the run,
# app.variant_availability is V32's definition again (V40 made it a wrapper of the reader by
# product; both answer the same, and nothing of today's reads it on these paths), and V40's is
# put back on exit. pgbench measures PostgreSQL's side only; the API's splicing shows in the API
# runs (BEFORE_BIN: a binary built before V40).
#
# Writes $RESULTS/prerender.md (BENCH_OLD=v32: $RESULTS/by-product.md).
source "$(dirname "$0")/lib.sh"
db_env

CONNS=${BENCH_CONNECTIONS:-16}
POOL=${BENCH_POOL:-16}
ROUNDS=${BENCH_ROUNDS:-2}
BEFORE_BIN=${BEFORE_BIN:-}
OLD=${BENCH_OLD:-v34}
NAME=prerender; [ "$OLD" = v32 ] && NAME=by-product

tmp=$(mktemp -d)
# reader FILE: the SQL that defines app.variant_availability as migration FILE did.
reader() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
print("set role brandhouse_owner;")
print(re.search(r"create or replace function app\.variant_availability\b.*?\$\$;", text, re.S).group(0))
PY
}
trap 'stop_server prerender-before; stop_server prerender-after; rm -rf "$tmp"; [ "$OLD" != v32 ] || reader "$ROOT/sql/V40__availability_by_product.sql" | psql "$ADMIN/$BENCH_DB" -Xq -v ON_ERROR_STOP=1' EXIT
psql "$ADMIN/$BENCH_DB" -Xq -c "analyze"
if [ "$OLD" = v32 ]; then
  reader "$ROOT/sql/V32__maintained_availability.sql" | psql "$ADMIN/$BENCH_DB" -Xq -v ON_ERROR_STOP=1
fi

# statement FILE... : the files joined, comments dropped, on one line.
statement() {
  python3 - "$@" <<'PY'
import sys
text = "".join(open(f).read() for f in sys.argv[1:])
print(" ".join("\n".join(l for l in text.splitlines() if not l.lstrip().startswith("--")).split()))
PY
}
# bind SQL VALUE...: the statement with $n replaced by the n-th value.
bind() {
  python3 - "$@" <<'PY'
import re, sys
print(re.sub(r"\$(\d+)\b", lambda m: sys.argv[1 + int(m.group(1))], sys.argv[1]))
PY
}
# script KIND SIDE SQL SLUG: a pgbench script, BEGIN; set_config; the statement; COMMIT. The
# old statements bind $1 currency, $2 zone, then the list's $3 after number, $4 category, $5
# limit (51: a page of 50 and whether there is a next), $6 locale, or the detail's $3 product
# number, $4 locale; the new ones take the brand as $1 and the same values after it.
script() {
  local kind=$1 side=$2 sql=$3 slug=$4 tid currency
  read -r tid currency < <(psql "$ADMIN/$BENCH_DB" -XAt -F ' ' -c "select id, currency from app.tenants where slug = '$slug'")
  local brand=()
  if [ "$side" = new ] || [ "$OLD" = v32 ]; then brand=("'$tid'"); fi
  if [ "$kind" = list ]; then
    sql=$(bind "$sql" "${brand[@]}" "'$currency'" null 0 null 51 "'en'")
    echo "begin;"
  else
    sql=$(bind "$sql" "${brand[@]}" "'$currency'" null :number "'en'")
    printf '\\set number random(1, 75)\nbegin;\n'
  fi
  echo "select set_config('app.tenant_id', '$tid', true), set_config('app.user_id', '', true), set_config('app.role', 'storefront', true);"
  echo "$sql;"
  echo "commit;"
}
list_new=$(statement "$ROOT/src/catalog/sql/storefront_list.sql" "$ROOT/src/catalog/sql/storefront_item.sql")
detail_new=$(statement "$ROOT/src/catalog/sql/storefront_product.sql" "$ROOT/src/catalog/sql/storefront_item.sql")
if [ "$OLD" = v32 ]; then
  list_old=$(statement "$ROOT/src/catalog/sql/storefront_list.sql" "$ROOT/bench/storefront_item_v39.sql")
  detail_old=$(statement "$ROOT/src/catalog/sql/storefront_product.sql" "$ROOT/bench/storefront_item_v39.sql")
else
  list_old=$(statement "$ROOT/tests/api/sql/storefront_list_v34.sql" "$ROOT/tests/api/sql/storefront_item_v34.sql")
  detail_old=$(statement "$ROOT/tests/api/sql/storefront_product_v34.sql" "$ROOT/tests/api/sql/storefront_item_v34.sql")
fi
for slug in fiber-x suzume showstopper; do
  script list old "$list_old" "$slug" >"$tmp/list-old-$slug.sql"
  script list new "$list_new" "$slug" >"$tmp/list-new-$slug.sql"
  script detail old "$detail_old" "$slug" >"$tmp/detail-old-$slug.sql"
  script detail new "$detail_new" "$slug" >"$tmp/detail-new-$slug.sql"
done

# pgbench_run NAME: tps, p50 and p99 (ms) of the three brands' scripts NAME-*.sql.
pgbench_run() {
  local name=$1 out
  rm -rf "$tmp/log"; mkdir "$tmp/log"
  out=$(cd "$tmp/log" && pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -l \
    -f "$tmp/$name-fiber-x.sql@1" -f "$tmp/$name-suzume.sql@1" -f "$tmp/$name-showstopper.sql@1" \
    -U brandhouse_api -h 127.0.0.1 "$BENCH_DB" 2>&1) || { echo "$out" >&2; exit 1; }
  local tps; tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
  # Per-transaction log: client, transaction, latency (us), ...
  cat "$tmp"/log/pgbench_log.* | python3 -c "
import sys
l = sorted(int(x.split()[2]) for x in sys.stdin)
q = lambda p: l[min(len(l) - 1, int(len(l) * p))] / 1000
print('$tps', '%.1f' % q(0.5), '%.1f' % q(0.99))"
}

pgrows=""
for round in $(seq 1 "$ROUNDS"); do
  for kind in list detail; do
    for side in old new; do
      log "pgbench round $round, $kind, $side (${DURATION}s, $CONNS clients)"
      read -r tps p50 p99 < <(pgbench_run "$kind-$side")
      pgrows+="| $round | $kind | $side | $tps | $p50 | $p99 |"$'\n'
    done
  done
done

apirows=""
if [ -n "$BEFORE_BIN" ]; then
  need wrk wrk
  port_a=$(free_port); port_b=$(free_port)
  BIN=$BEFORE_BIN start_server prerender-before "$port_a" DB_POOL_SIZE="$POOL" REDIS_URL=
  start_server prerender-after "$port_b" DB_POOL_SIZE="$POOL" REDIS_URL=
  run_wrk() {
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/$2" "http://127.0.0.1:$1" 2>&1 \
      | awk '/^RESULT/ {print}'
  }
  field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
  log "warming up"
  for port in "$port_a" "$port_b"; do
    wrk -t1 -c4 -d2s -s "$ROOT/bench/storefront.lua" "http://127.0.0.1:$port" >/dev/null
  done
  for round in $(seq 1 "$ROUNDS"); do
    for kind in list detail; do
      lua=storefront.lua; [ "$kind" = detail ] && lua=storefront-detail.lua
      for side in before after; do
        port=$port_a; [ "$side" = after ] && port=$port_b
        log "API round $round, $kind, $side (${DURATION}s, $CONNS connections)"
        r=$(run_wrk "$port" "$lua")
        apirows+="| $round | $kind | $side | $(echo "$r" | field rps) | $(echo "$r" | field p50_ms) | $(echo "$r" | field p99_ms) | $(echo "$r" | field errors) |"$'\n'
      done
    done
  done
fi

read -r tid < <(psql "$ADMIN/$BENCH_DB" -XAt -c "select id from app.tenants where slug = 'showstopper'")
# explain SQL: EXPLAIN ANALYZE of a list statement already bound.
explain() {
  local sql=$1
  psql "postgres://brandhouse_api@127.0.0.1:5432/$BENCH_DB" -XAt <<SQL
begin;
select set_config('app.tenant_id', '$tid', true), set_config('app.user_id', '', true), set_config('app.role', 'storefront', true) \g /dev/null
explain (analyze, buffers, costs off) $sql;
explain (analyze, buffers, costs off) $sql;
commit;
SQL
}
old_brand=(); [ "$OLD" = v32 ] && old_brand=("'$tid'")
explain "$(bind "$list_old" "${old_brand[@]}" "'EUR'" null 0 null 51 "'en'")" >"$RESULTS/$NAME-explain-before.txt"
explain "$(bind "$list_new" "'$tid'" "'EUR'" null 0 null 51 "'en'")" >"$RESULTS/$NAME-explain-after.txt"

{
  if [ "$OLD" = v32 ]; then
    echo "### Availability by product: V32's reader (a lookup per variant) and V40's (a range per product), $CONNS clients, ${DURATION} s each"
  else
    echo "### Pre-rendered storefront documents: old (JSON built per request) and new (stored documents) statements, $CONNS clients, ${DURATION} s each"
  fi
  echo
  echo "pgbench on one database (BEGIN; set_config; statement; COMMIT), three brands in rotation:"
  echo
  echo "| round | statement | side | tps | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|"
  printf '%s' "$pgrows"
  if [ -n "$apirows" ]; then
    echo
    echo "API, uncached, before ($BEFORE_BIN) and after ($BIN), same database:"
    echo
    echo "| round | endpoint | side | req/s | p50 ms | p99 ms | errors |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s' "$apirows"
  fi
  echo
  echo "EXPLAIN ANALYZE (second run of each, Showstopper's first page): \`bench/results/$NAME-explain-before.txt\`, \`bench/results/$NAME-explain-after.txt\`."
} >"$RESULTS/$NAME.md"
cat "$RESULTS/$NAME.md"
grep -h "Execution Time" "$RESULTS/$NAME-explain-before.txt" "$RESULTS/$NAME-explain-after.txt" >&2 || true
