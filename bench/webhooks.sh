#!/usr/bin/env bash
# Outbound webhook benchmark (issue 17): delivery throughput to a loopback receiver. Queues
# BENCH_WEBHOOK_EVENTS events (default 3000) spread over the demo brands, each fanned out to one
# endpoint of its brand by the real record statement (src/events/sql/record.sql, in a tenant
# transaction), with the worker off; then starts the server with the worker on and times how
# long the deliveries take to be delivered (signed POSTs to a Python receiver on 127.0.0.1).
# Bounded: gives up after BENCH_WEBHOOK_TIMEOUT seconds (default 120). Writes $RESULTS/webhooks.md.
source "$(dirname "$0")/lib.sh"
db_env
EVENTS=${BENCH_WEBHOOK_EVENTS:-3000}
TIMEOUT=${BENCH_WEBHOOK_TIMEOUT:-120}
PSQL=(psql "$ADMIN/$BENCH_DB" -XAtq -v ON_ERROR_STOP=1)
tmp=$(mktemp -d)
receiver_pid=
cleanup() {
  stop_server webhooks
  [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The receiver: answers 204 to every POST, keep-alive, one thread per connection.
cat >"$tmp/receiver.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
rport=$(free_port)
python3 "$tmp/receiver.py" "$rport" &
receiver_pid=$!

brands=$("${PSQL[@]}" -c "select count(*) from app.tenants where is_active")
log "queueing $EVENTS events over $brands brands, one endpoint each"
"${PSQL[@]}" <<SQL
delete from app.webhook_deliveries;
delete from app.webhook_endpoints;
delete from app.jobs where kind = 'deliver_webhook';
insert into app.webhook_endpoints (tenant_id, url, event_types, secret)
select id, 'http://127.0.0.1:$rport/hook', '{stock.low}', 'whsec_' || md5(random()::text) || md5(random()::text)
from app.tenants where is_active;
SQL
# The record statement as the application runs it, in each brand's tenant transaction ($1, the
# brand, bound per brand below).
record=$(sed 's/\$2::text/'"'stock.low'"'::text/; s/\$3::text/'"'BENCH'"'::text/; s/\$4::jsonb/'"'{\"bench\": true}'"'::jsonb/; s/\$5::jsonb/null::jsonb/' "$ROOT/src/events/sql/record.sql")
per_brand=$(( (EVENTS + brands - 1) / brands ))
for t in $("${PSQL[@]}" -c "select id from app.tenants where is_active order by slug"); do
  brand_record=${record//\$1/\'$t\'::uuid}
  {
    echo "begin; select set_config('app.tenant_id', '$t', true);"
    for _ in $(seq 1 "$per_brand"); do printf '%s;\n' "$brand_record"; done
    echo "commit;"
  } | "${PSQL[@]}" >/dev/null
done
queued=$("${PSQL[@]}" -c "select count(*) from app.webhook_deliveries where status = 'pending'")
log "$queued deliveries queued"

port=$(free_port)
start=$(date +%s.%N)
start_server webhooks "$port" WORKER_ENABLED=true WORKER_POLL_MS=50 \
  WEBHOOK_ALLOW_PRIVATE_TARGETS=true WEBHOOK_ALLOW_HTTP=true
pid=$(cat "$RESULTS/webhooks.pid")
delivered=0
while :; do
  delivered=$("${PSQL[@]}" -c "select count(*) from app.webhook_deliveries where status = 'delivered'")
  now=$(date +%s.%N)
  [ "$delivered" -ge "$queued" ] && break
  if (( $(echo "$now - $start > $TIMEOUT" | bc) )); then log "timed out"; break; fi
  sleep 0.2
done
elapsed=$(echo "$now - $start" | bc)
failed=$("${PSQL[@]}" -c "select count(*) from app.webhook_deliveries where status = 'failed'")
rss=$(peak_rss_mib "$pid")
rate=$(echo "scale=1; $delivered / $elapsed" | bc)
log "$delivered of $queued delivered in ${elapsed}s: $rate deliveries/s ($failed failed), peak RSS $rss MiB"
cat >"$RESULTS/webhooks.md" <<MD
### Outbound webhooks (\`bench/webhooks.sh\`)

$queued deliveries over $brands brands (one endpoint each, Python receiver on loopback answering
204), worker defaults (\`WORKER_BATCH\` 16, \`WORKER_CONCURRENCY\` 4), timed from the server's
start to the last delivery.

| deliveries | delivered | failed | seconds | deliveries/s | peak RSS |
|---|---|---|---|---|---|
| $queued | $delivered | $failed | $elapsed | **$rate** | $rss MiB |
MD
cat "$RESULTS/webhooks.md"
