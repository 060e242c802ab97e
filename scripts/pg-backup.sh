#!/usr/bin/env bash
# PostgreSQL backups for brandhouse: `pg_dump` in the custom format, kept for BACKUP_KEEP_DAYS,
# and a restore check that proves the newest dump restores. Runs in compose's `backup` service
# (the postgres image: pg_dump matches the server's major version) and anywhere libpq's
# variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) reach the database.
#
#   pg-backup.sh once            one dump now, then prune
#   pg-backup.sh loop            a dump every BACKUP_INTERVAL_SECS (default a day), each followed
#                                by the restore check
#   pg-backup.sh restore-check [FILE]
#                                restores FILE (default: the newest dump) into a scratch database
#                                `<db>_restore_check`, compares it with the dump's table of
#                                contents and the live database's schema history, then drops it
#
# Restoring for real (README, "Backups"): stop the API replicas, then
#   pg_restore --clean --if-exists --no-owner --role=postgres -d brandhouse FILE
# and run `brandhouse migrate` (it re-creates the roles' grants and passwords).
set -euo pipefail

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_INTERVAL_SECS=${BACKUP_INTERVAL_SECS:-86400}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
DB=${PGDATABASE:-brandhouse}
SCRATCH="${DB}_restore_check"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

log() { printf '%s pg-backup: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

dump() {
  mkdir -p "$BACKUP_DIR"
  local file tmp
  file="$BACKUP_DIR/$DB-$(date -u +%Y%m%dT%H%M%SZ).dump"
  tmp="$file.partial"
  # Custom format: compressed, restorable table by table, checked by pg_restore --list.
  pg_dump --format=custom --compress=6 --no-password --dbname="$DB" --file="$tmp"
  pg_restore --list "$tmp" >/dev/null
  mv "$tmp" "$file"
  log "wrote $file ($(du -h "$file" | cut -f1))"
  find "$BACKUP_DIR" -name "$DB-*.dump" -type f -mtime +"$BACKUP_KEEP_DAYS" -print -delete \
    | sed 's/^/pruned /' >&2 || true
}

newest() {
  ls -1t "$BACKUP_DIR"/"$DB"-*.dump 2>/dev/null | head -n1
}

psql_at() { psql --no-password -X -v ON_ERROR_STOP=1 -At "$@"; }

restore_check() {
  local file=${1:-$(newest)}
  [ -n "$file" ] && [ -f "$file" ] || { log "no dump to check in $BACKUP_DIR"; return 1; }
  psql_at -d postgres -c "drop database if exists \"$SCRATCH\" with (force)" >/dev/null
  psql_at -d postgres -c "create database \"$SCRATCH\"" >/dev/null
  trap 'psql_at -d postgres -c "drop database if exists \"$SCRATCH\" with (force)" >/dev/null' RETURN
  # The roles are cluster-wide and already exist, so ownership and grants restore as dumped.
  pg_restore --no-password --exit-on-error --dbname="$SCRATCH" "$file"
  local expected restored dumped_version live_version
  expected=$(pg_restore --list "$file" | grep -c ' TABLE DATA ' || true)
  restored=$(psql_at -d "$SCRATCH" -c \
    "select count(*) from pg_tables where schemaname in ('app', 'public')")
  dumped_version=$(psql_at -d "$SCRATCH" -c \
    "select coalesce(max(version), 0) from refinery_schema_history")
  live_version=$(psql_at -d "$DB" -c \
    "select coalesce(max(version), 0) from refinery_schema_history")
  local brands
  brands=$(psql_at -d "$SCRATCH" -c "select count(*) from app.tenants")
  if [ "$restored" -lt "$expected" ]; then
    log "restore check FAILED for $file: $restored tables restored, $expected in the dump"
    return 1
  fi
  if [ "$dumped_version" != "$live_version" ]; then
    log "restore check: $file is at migration V$dumped_version, the live database at V$live_version (take a new dump after migrating)"
  fi
  log "restore check passed for $file: $restored tables, migration V$dumped_version, $brands brand(s)"
}

case "${1:-once}" in
  once) dump ;;
  restore-check) restore_check "${2:-}" ;;
  loop)
    # Wait for the first migration before the first dump.
    until psql_at -d "$DB" -c "select 1 from refinery_schema_history limit 1" >/dev/null 2>&1; do
      sleep 5
    done
    while true; do
      dump && restore_check || log "backup or restore check failed; retrying next interval"
      sleep "$BACKUP_INTERVAL_SECS" &
      wait $!
    done
    ;;
  *) echo "usage: $0 once | loop | restore-check [FILE]" >&2; exit 2 ;;
esac
