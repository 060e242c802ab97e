#!/usr/bin/env bash
# The OpenAPI fuzzer (`make fuzz`, part of `make test`): schemathesis, installed from PyPI at a
# pinned version into the project-local virtualenv .venv-fuzz/, runs every operation of the
# committed spec (openapi/openapi.json) against `brandhouse demo` started on a throwaway
# database (migrated and seeded like the demo) on a free loopback port, signed in as the demo
# owner, once per demo brand header. Checks: no 5xx, responses valid against their schemas,
# only declared status codes and content types. Bounded: a fixed seed and example count.
# Any finding fails the run.
#
#   FUZZ_EXAMPLES  examples per operation and phase (default 20)
#   FUZZ_SEED      the seed (default 1312)
#   FUZZ_BRANDS    brand headers, one run each (default: the three demo brands)
#   ADMIN_URL      the superuser connection without database (as in the Makefile)
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.venv-fuzz
EXAMPLES=${FUZZ_EXAMPLES:-20}
SEED=${FUZZ_SEED:-1312}
BRANDS=${FUZZ_BRANDS:-fiber-x suzume showstopper}
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
PG_HOST_PORT=${ADMIN_URL##*@}
CARGO=${CARGO:-cargo}
started=$(date +%s)

# The virtualenv, (re)built when missing or at another version.
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV/"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi

$CARGO build --quiet
BIN="${CARGO_TARGET_DIR:-target}/debug/brandhouse"

DB="bh_fuzz_$$"
WORK=$(mktemp -d)
SERVER=""
GRAPH=""
cleanup() {
    for pid in $SERVER $GRAPH; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    psql "$ADMIN_URL/postgres" -X -q -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A Graph API on loopback that refuses every token as Meta does (400, OAuthException 190): a
# brand's chat settings naming a WhatsApp number then get the service's verdict (422), where
# the real graph.facebook.com, unreachable here, would make every such case a 503 (Graph
# unavailable, worth a retry), which the fuzzer counts as a server error.
GRAPH_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$GRAPH_PORT" >"$WORK/graph.log" 2>&1 <<'PY' &
import http.server, json, sys
class Refuse(http.server.BaseHTTPRequestHandler):
    def answer(self):
        body = json.dumps({"error": {"message": "Invalid OAuth access token.",
                                     "type": "OAuthException", "code": 190}}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_DELETE = answer
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Refuse).serve_forever()
PY
GRAPH=$!

# The service: `demo` migrates (creating the database), seeds the demo brands and staff, and
# serves; port 0 lets the kernel pick a free port, which the demo banner prints.
env -u REDIS_URL \
MIGRATION_DATABASE_URL="$ADMIN_URL/$DB" \
DATABASE_URL="postgres://brandhouse_api@$PG_HOST_PORT/$DB" \
ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@$PG_HOST_PORT/$DB" \
BIND_ADDR=127.0.0.1:0 \
DATA_DIR="$WORK/data" \
RATE_LIMITS=off \
LOGIN_MAX_FAILURES_PER_CLIENT=1000000 \
GRAPH_API_BASE_URL="http://127.0.0.1:$GRAPH_PORT" \
RUST_LOG=${RUST_LOG:-error} \
    "$BIN" demo >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
BASE=""
for _ in $(seq 1 600); do
    BASE=$(grep -o 'is serving on http://[0-9.:]*' "$WORK/server.out" | awk '{print $4}' || true)
    [[ -n $BASE ]] && break
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "fuzz: the service did not start:" >&2
        cat "$WORK/server.err" >&2
        exit 1
    fi
    sleep 0.2
done
[[ -n $BASE ]] || { echo "fuzz: the service did not start in time" >&2; exit 1; }

login() {
    curl -sf -H 'content-type: application/json' \
        -d '{"email":"owner@brandhouse.demo","password":"demo-owner-2026"}' "$BASE/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
# One worker: with two, Python 3.11's ast module (which Hypothesis uses to describe strategies)
# can fail with "AST constructor recursion depth mismatch" when two threads parse at once
# (CPython gh-106905), a runtime error of the fuzzer that is not a finding.
fuzz() {
    local brand=$1 token=$2
    shift 2
    "$VENV/bin/schemathesis" run openapi/openapi.json --url "$BASE" \
        -H "Authorization: Bearer $token" -H "X-Tenant-ID: $brand" \
        --checks "$CHECKS" --phases examples,coverage,fuzzing \
        --max-examples "$EXAMPLES" --seed "$SEED" --no-shrink \
        --suppress-health-check all --request-timeout 20 --workers 1 "$@" |
        tee -a "$WORK/runs.log"
}

status=0
for brand in $BRANDS; do
    echo "fuzz: brand $brand"
    # logout and endSession end sessions (endSession finds the caller's own session id in
    # listSessions' answers): each gets its own token and runs apart, so the main run keeps its
    # token to the end.
    # The event streams (Server-Sent Events) never end by design: a fuzzer reading a whole
    # response would wait out its timeout on every case. tests/api/events.rs and the conformance
    # scenario (status, content type, each event's schema) cover them.
    fuzz "$brand" "$(login)" --exclude-operation-id logout --exclude-operation-id endSession \
        --exclude-operation-id streamEvents --exclude-operation-id streamCompanyEvents || status=1
    for op in logout endSession; do
        fuzz "$brand" "$(login)" --include-operation-id "$op" || status=1
    done
done

if grep -q 'panicked' "$WORK/server.err"; then
    echo "fuzz: the service panicked:" >&2
    grep -A3 'panicked' "$WORK/server.err" >&2
    status=1
fi
# One line for the record: operations, test cases, findings, seconds.
cases=$(awk '/^  [0-9]+ generated/ {n += $1} END {print n + 0}' "$WORK/runs.log")
findings=$(awk 'match($0, /found [0-9]+ unique failure/) {split(substr($0, RSTART), w, " "); n += w[2]} END {print n + 0}' "$WORK/runs.log")
operations=$(python3 -c 'import json; s = json.load(open("openapi/openapi.json")); print(sum(len(o) for o in s["paths"].values()))')
echo "fuzz: $operations operations x $(wc -w <<<"$BRANDS") brands, $cases test cases, $findings findings, $(( $(date +%s) - started )) s (seed $SEED, $EXAMPLES examples)"
exit $status
