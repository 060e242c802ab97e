# Shared helpers for the benchmarks (sourced). Everything runs on loopback only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BENCH_BIN:-"${CARGO_TARGET_DIR:-$ROOT/target}/release/brandhouse"}
ADMIN=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-brandhouse_bench}
DURATION=${BENCH_DURATION:-10}
RESULTS="$ROOT/bench/results"
mkdir -p "$RESULTS"

log() { printf 'bench: %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null && return 0
  log "installing $2 from Debian's packages"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq "$2" >/dev/null; else sudo apt-get install -y -qq "$2" >/dev/null; fi
}

build() {
  log "building the release binary"
  (cd "$ROOT" && cargo build --release --quiet)
}

db_env() {
  export DATABASE_URL="postgres://brandhouse_api@127.0.0.1:5432/$BENCH_DB"
  export ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@127.0.0.1:5432/$BENCH_DB"
  export MIGRATION_DATABASE_URL="$ADMIN/$BENCH_DB"
  export RUST_LOG=${RUST_LOG:-warn}
  # Benchmarks measure throughput from one address; the rate limits would measure themselves.
  export RATE_LIMITS=${RATE_LIMITS:-off}
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# seed_demo DATA_DIR LOG: `$BIN demo` migrates and seeds the database of the environment's
# DATABASE_URL / MIGRATION_DATABASE_URL (its local state in DATA_DIR, its output in LOG); returns
# once the demo serves, after stopping it.
seed_demo() {
  local dir=$1 out=$2 port pid
  port=$(free_port)
  rm -rf "$dir"
  DATA_DIR="$dir" BIND_ADDR="127.0.0.1:$port" "$BIN" demo >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

# hot_row DB SKU UNITS: the SKU's stock row in zone BENCH (bench/stock.sql) left with UNITS
# available, the change written to the ledger as an adjustment.
hot_row() {
  psql "$ADMIN/$1" -XAtq -v ON_ERROR_STOP=1 -c "
    with old as (
      select s.tenant_id, s.variant_id, s.zone_id, s.on_hand
      from app.stock s
      where s.variant_id = (select variant_id from public.bench_skus where sku = '$2')
        and s.zone_id = (select id from app.zones where code = 'BENCH')
      for update),
    adj as (
      update app.stock s set on_hand = s.reserved + $3
      from old
      where s.tenant_id = old.tenant_id and s.variant_id = old.variant_id and s.zone_id = old.zone_id
      returning s.tenant_id, s.variant_id, s.zone_id, s.on_hand - old.on_hand as delta)
    insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta, reason)
    select tenant_id, variant_id, zone_id, 'adjust', delta, 'bench hot row' from adj"
}

# start_server NAME PORT [ENV=VAL...]: starts the binary in the background, waits for /healthz,
# and records its pid in $RESULTS/NAME.pid. Each server keeps its local state (the embedded
# product index, files) in $RESULTS/NAME.data: an index directory is locked by one process.
start_server() {
  local name=$1 port=$2; shift 2
  rm -rf "$RESULTS/$name.data"
  # The seed's data directory (its files and the assistant's product index), as a restarted
  # deployment has it: a server with an empty index queues every brand for re-indexing and
  # spends its first seconds of CPU on that while it is being measured.
  # SEED_DATA names another seed's (bench/versions.sh: one per binary).
  local seed=${SEED_DATA:-$RESULTS/seed.data}
  if [ -d "$seed" ]; then cp -a --sparse=always "$seed" "$RESULTS/$name.data"; fi
  env DATA_DIR="$RESULTS/$name.data" "$@" BIND_ADDR="127.0.0.1:$port" "$BIN" serve >"$RESULTS/$name.log" 2>&1 &
  echo $! >"$RESULTS/$name.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.1
  done
  log "server $name did not start"; cat "$RESULTS/$name.log" >&2; return 1
}

stop_server() {
  local pidfile="$RESULTS/$1.pid"
  [ -f "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  wait "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

# owner_token PORT: a session token of the demo seed's owner (README), who owns the company.
owner_token() {
  curl -sf -X POST -H 'content-type: application/json' \
    -d '{"email":"owner@brandhouse.demo","password":"demo-owner-2026"}' \
    "http://127.0.0.1:$1/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# clear_login_throttle DB: forgets every failed login. A lock left on 127.0.0.1 by another
# benchmark's logins (or an earlier run's) would answer every attempt 429 without checking it.
clear_login_throttle() {
  psql "$ADMIN/$1" -Xqc "delete from app.login_throttle_clients; delete from app.login_throttle"
}

# Peak resident memory of a pid, in MiB.
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# CPU seconds (user + system) used so far by a process, and by PostgreSQL (every live server
# process, plus what the postmaster has collected from backends that have exited): sampled
# before and after a run, their differences say where the run's CPU time went.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
pg_cpu_secs() {
  local hz total=0 p t postmaster
  hz=$(getconf CLK_TCK)
  postmaster=$(pgrep -xo postgres) || { echo 0; return; }
  for p in $(pgrep -x postgres); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + t))
  done
  t=$(awk '{print $16 + $17}' "/proc/$postmaster/stat")
  awk -v t="$((total + t))" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}'
}

# storefront_list_pgbench SLUG: a pgbench script of the statement the API runs for the brand's
# first storefront page of 50 (limit 51 to detect a next page): BEGIN; the scope; the list's own
# start followed by the shared storefront_item.sql, as src/catalog/repo.rs joins them; COMMIT.
storefront_list_pgbench() {
  local tid currency
  read -r tid currency < <(psql "$ADMIN/$BENCH_DB" -XAt -F ' ' -c "select id, currency from app.tenants where slug = '$1'")
  python3 - "$ROOT/src/catalog/sql/storefront_list.sql" "$ROOT/src/catalog/sql/storefront_item.sql" \
    "$tid" "$currency" <<'PY'
import re, sys
text = open(sys.argv[1]).read() + open(sys.argv[2]).read()
sql = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("--"))
# $1 the brand, $2 currency, $3 zone (none), $4 after number, $5 category (none), $6 limit,
# $7 locale.
params = ["'%s'" % sys.argv[3], "'%s'" % sys.argv[4], "null", "0", "null", "51", "'en'"]
sql = re.sub(r"\$(\d+)\b", lambda m: params[int(m.group(1)) - 1], sql)
print("begin;")
print("select set_config('app.tenant_id', '%s', true), set_config('app.user_id', '', true), set_config('app.role', 'storefront', true);" % sys.argv[3])
print(" ".join(sql.split()) + ";")
print("commit;")
PY
}

# bind_literals FILE FROM TO THIRD: a report's statement with $1 and $2 bound as timestamptz
# literals and $3 as written, comments dropped, on one line (pgbench has no positional
# parameters).
bind_literals() {
  sed -e "s/\$1/'$2'::timestamptz/g" -e "s/\$2/'$3'::timestamptz/g" -e "s/\$3/$4/g" "$1" \
    | sed -e 's/--.*$//' | tr '\n' ' '
  echo
}

# pgbench_pct LOG...: "p50 | p99" in ms from pgbench -l logs (column 3: latency in us).
pgbench_pct() {
  sort -n -k3 "$@" | awk '{ l[NR] = $3 }
    END { a = int(NR * 0.5); if (a < 1) a = 1; b = int(NR * 0.99); if (b < 1) b = 1
          printf "%.1f | %.1f", l[a] / 1000, l[b] / 1000 }'
}
