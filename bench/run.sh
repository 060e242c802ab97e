#!/usr/bin/env bash
# Runs every benchmark: `make bench` (or `bash bench/run.sh [name...]`). Results are written to
# bench/results/*.md and printed; bench/README.md holds the reference table.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/ensure-services.sh"
build
db_env
log "preparing database $BENCH_DB (migrate + demo seed)"
psql "$ADMIN/postgres" -Xqc "drop database if exists $BENCH_DB with (force)"
seed_port=$(free_port)
rm -rf "$RESULTS/seed.data"
DATA_DIR="$RESULTS/seed.data" BIND_ADDR="127.0.0.1:$seed_port" "$BIN" demo >"$RESULTS/seed.log" 2>&1 &
seed_pid=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$seed_port/healthz" >/dev/null && break; sleep 0.2; done
kill "$seed_pid"; wait "$seed_pid" 2>/dev/null || true

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(storefront prerender reservations policy webhook webhooks imports analytics login events brands soak)
for name in "${names[@]}"; do
  log "== $name =="
  bash "$ROOT/bench/$name.sh"
done
cat "$RESULTS"/*.md > "$RESULTS/all.md"
log "results: bench/results/all.md"
