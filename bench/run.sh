#!/usr/bin/env bash
# Runs every benchmark: `make bench` (or `bash bench/run.sh [name...]`). Results are written to
# bench/results/*.md and printed; bench/README.md holds the reference table.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/ensure-services.sh"
build
db_env
log "preparing database $BENCH_DB (migrate + demo seed)"
psql "$ADMIN/postgres" -Xqc "drop database if exists $BENCH_DB with (force)"
seed_demo "$RESULTS/seed.data" "$RESULTS/seed.log"

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(storefront prerender reservations policy webhook webhooks imports analytics login events brands soak)
for name in "${names[@]}"; do
  log "== $name =="
  bash "$ROOT/bench/$name.sh"
done
cat "$RESULTS"/*.md > "$RESULTS/all.md"
log "results: bench/results/all.md"
