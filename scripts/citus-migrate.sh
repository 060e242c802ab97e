#!/usr/bin/env bash
# brandhouse's schema on a Citus cluster (docs/SCALING.md, "Moving to Citus").
#
# Citus distributes a table only while it has no policy, foreign key or trigger, and brandhouse's
# migrations create each table with them. So the schema is built the usual way (`brandhouse
# migrate`) on a scratch database beside the target (plain PostgreSQL: no citus extension in
# it), then restored into the target in the order Citus accepts:
#   1. pg_dump --section=pre-data: schemas, extensions, functions, tables with their columns,
#      defaults and checks, views, grants (no key, index, foreign key, trigger or policy yet);
#   2. the placement: create_reference_table, create_distributed_table by tenant_id (all
#      co-located) or citus_add_local_table_to_metadata for every table of schema app, as
#      policies/distributable.sql places them (the list the audit checks, emitted by it);
#   3. the rows the migrations wrote (refinery's history among them), with pg_dump --data-only;
#   4. pg_dump --section=post-data: keys, indexes, foreign keys, triggers, RLS, policies;
#   5. `brandhouse migrate` on the target: no migration is left to apply; it checks the history
#      and re-applies the policy files, as on every start.
# Later migrations run with `brandhouse migrate` as usual (docs/SCALING.md says what a new
# tenant table needs there).
#
# usage: scripts/citus-migrate.sh TARGET_DB [--stub]
#   ADMIN_URL   a superuser connection without database (default postgres://postgres@127.0.0.1:5432)
#   BRANDHOUSE  the command that runs brandhouse (default: cargo run --quiet --)
#   --stub      on plain PostgreSQL (`make audit`): instead of the citus extension, functions of
#               the same names that refuse what Citus refuses when it distributes a table (a
#               policy, a foreign key or a trigger already there; no tenant_id) and record each
#               call; then every table of schema app must have been placed exactly once, and the
#               schema must equal the scratch database's, migrated the usual way.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: scripts/citus-migrate.sh TARGET_DB [--stub]}
STUB=${2:-}
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
PG_HOST_PORT=${ADMIN_URL##*@}
read -r -a BRANDHOUSE <<<"${BRANDHOUSE:-cargo run --quiet --}"
SCRATCH="${TARGET}_scratch"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql "$ADMIN_URL/postgres" -Xqc "drop database if exists $SCRATCH with (force)" >/dev/null 2>&1 || true' EXIT
log() { printf 'citus-migrate: %s\n' "$*" >&2; }
psql_to() { psql "$ADMIN_URL/$1" -X -q -v ON_ERROR_STOP=1 "${@:2}"; }
migrate() {
  MIGRATION_DATABASE_URL="$ADMIN_URL/$1" DATABASE_URL="postgres://brandhouse_api@$PG_HOST_PORT/$1" \
    ANALYTICS_DATABASE_URL="postgres://brandhouse_analytics@$PG_HOST_PORT/$1" RUST_LOG=warn "${BRANDHOUSE[@]}" migrate >"$WORK/migrate.out" 2>&1 \
    || { cat "$WORK/migrate.out" >&2; return 1; }
}

log "building the schema on the scratch database $SCRATCH"
psql_to postgres -c "drop database if exists $SCRATCH with (force)" -c "create database $SCRATCH"
migrate "$SCRATCH"
# The audit passes (or this stops) and writes the placement statements.
psql_to "$SCRATCH" -v emit_distribution="$WORK/distribute.sql" -f policies/distributable.sql >/dev/null

if [ "$(psql "$ADMIN_URL/$TARGET" -XAtc "select count(*) from pg_namespace where nspname = 'app'")" != 0 ]; then
  log "$TARGET already has schema app: this path is for an empty database"; exit 1
fi
if [ "$STUB" = --stub ]; then
  psql_to "$TARGET" -f scripts/citus-stub.sql
else
  psql_to "$TARGET" -c "create extension if not exists citus"
fi

log "1/5 tables (pre-data)"
pg_dump "$ADMIN_URL/$SCRATCH" --schema-only --section=pre-data >"$WORK/pre.sql"
psql_to "$TARGET" -f "$WORK/pre.sql" >/dev/null
log "2/5 placement: $(grep -c create_reference_table "$WORK/distribute.sql") reference, $(grep -c create_distributed_table "$WORK/distribute.sql") distributed, $(grep -c citus_add_local_table_to_metadata "$WORK/distribute.sql") local"
if [ "$STUB" = --stub ]; then
  PGOPTIONS="-c search_path=citus_stub" psql_to "$TARGET" -f "$WORK/distribute.sql" >/dev/null
else
  psql_to "$TARGET" -f "$WORK/distribute.sql" >/dev/null
fi
log "3/5 the migrations' rows"
pg_dump "$ADMIN_URL/$SCRATCH" --data-only --disable-triggers >"$WORK/data.sql"
psql_to "$TARGET" -f "$WORK/data.sql" >/dev/null
log "4/5 keys, indexes, foreign keys, triggers, policies (post-data)"
pg_dump "$ADMIN_URL/$SCRATCH" --schema-only --section=post-data >"$WORK/post.sql"
psql_to "$TARGET" -f "$WORK/post.sql" >/dev/null
log "5/5 brandhouse migrate"
migrate "$TARGET"

if [ "$STUB" = --stub ]; then
  psql_to "$TARGET" -At -c "select citus_stub.check_every_table_placed_once()" >/dev/null
  # The usual schema goes through one dump and restore too, so that both sides are printed from
  # restored definitions (PostgreSQL re-parenthesises checks on the way); lines are compared as
  # sets (the order of column grants follows the order they were given in).
  psql_to postgres -c "drop database if exists ${SCRATCH}_usual with (force)" -c "create database ${SCRATCH}_usual"
  pg_dump "$ADMIN_URL/$SCRATCH" --schema-only | psql_to "${SCRATCH}_usual" >/dev/null
  normal() { grep -v '^--' | grep -v '^\\\(un\)\?restrict ' | grep -v '^$' | sort; }
  pg_dump "$ADMIN_URL/${SCRATCH}_usual" --schema-only | normal >"$WORK/usual.sql"
  psql_to postgres -c "drop database if exists ${SCRATCH}_usual with (force)"
  pg_dump "$ADMIN_URL/$TARGET" --schema-only --exclude-schema=citus_stub | normal >"$WORK/ordered.sql"
  if ! diff "$WORK/usual.sql" "$WORK/ordered.sql" >"$WORK/diff"; then
    log "the schema built in Citus's order differs from the usual one:"; head -50 "$WORK/diff" >&2; exit 1
  fi
  log "passed: every table placed once, before its keys, foreign keys, triggers and policies; the schema equals the usual one"
fi
