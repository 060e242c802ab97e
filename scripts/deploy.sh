#!/usr/bin/env bash
# Runs on the VPS, in the directory holding compose.yaml, .env (the stack's secrets) and
# scripts/ (copied there by the pipeline's deploy job, README "Deploy"):
#
#   deploy.sh deploy IMAGE     pull IMAGE and the pinned service images, start what is not
#                              running, migrate, then restart the API replicas one at a time,
#                              each waiting for /readyz (its health check) before the next
#   deploy.sh rollback [IMAGE] the same restart, without migrating, back to IMAGE or to the
#                              image that ran before the last deploy
#   deploy.sh compose ARGS...  `docker compose` with the deployed image (for operators)
#
# The image in use is kept in .image.env (BRANDHOUSE_IMAGE=...), the one before it in
# .image.env.previous. Replicas: `api`, plus `api-2` when COMPOSE_PROFILES includes `replicas`
# (in .env). With one replica a restart is a short outage; with two, the proxy sends
# requests to the replica that is up while the other restarts.
set -euo pipefail
cd "$(dirname "$0")/.."

HEALTH_TIMEOUT_SECS=${HEALTH_TIMEOUT_SECS:-180}

log() { printf '%s deploy: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

compose() {
  local files=(--env-file .env)
  [ -f .image.env ] && files+=(--env-file .image.env)
  docker compose "${files[@]}" "$@"
}

replicas() {
  if compose config --services | grep -qx 'api-2'; then echo "api api-2"; else echo "api"; fi
}

# Waits until the container of service $1 reports healthy (the image's HEALTHCHECK runs
# `brandhouse healthcheck`, a GET of /readyz).
wait_healthy() {
  local service=$1 id status deadline=$((SECONDS + HEALTH_TIMEOUT_SECS))
  id=$(compose ps -q "$service")
  while :; do
    status=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
    case "$status" in
      healthy) log "$service is ready"; return 0 ;;
      unhealthy) log "$service is unhealthy"; docker logs --tail 50 "$id" >&2; return 1 ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$service not ready after ${HEALTH_TIMEOUT_SECS}s"; docker logs --tail 50 "$id" >&2
      return 1
    fi
    sleep 2
  done
}

# Restarts the replicas on the image in .image.env, one at a time.
rolling_restart() {
  local service
  for service in $(replicas); do
    log "restarting $service"
    # The old container gets SIGTERM and drains (stop_grace_period) before the new one starts.
    compose up -d --no-deps --force-recreate "$service"
    wait_healthy "$service" || {
      log "stopped: $service did not become ready; the other replicas still run the old image"
      log "roll back with: scripts/deploy.sh rollback"
      return 1
    }
  done
}

use_image() {
  local image=$1
  if [ -f .image.env ]; then cp .image.env .image.env.previous; fi
  printf 'BRANDHOUSE_IMAGE=%s\n' "$image" > .image.env
}

deploy() {
  local image=${1:?usage: deploy.sh deploy IMAGE}
  docker pull "$image"
  use_image "$image"
  compose pull --quiet --ignore-buildable
  # Infrastructure first (unchanged services are left alone), the bucket, then the schema.
  compose up -d --wait postgres redis qdrant minio otel-collector
  compose up --no-deps minio-init
  log "migrating with $image"
  compose run --rm --no-deps migrate
  rolling_restart
  compose up -d --no-deps backup
  if [ "$(replicas)" != "api" ]; then compose up -d --no-deps proxy; fi
  docker image prune -f --filter "until=168h" >/dev/null || true
  log "deployed $image"
}

rollback() {
  local image=${1:-}
  if [ -z "$image" ]; then
    [ -f .image.env.previous ] || { log "no previous image recorded"; return 1; }
    image=$(sed -n 's/^BRANDHOUSE_IMAGE=//p' .image.env.previous)
  fi
  log "rolling back to $image (the schema stays: migrations are backward compatible)"
  docker image inspect "$image" >/dev/null 2>&1 || docker pull "$image"
  use_image "$image"
  rolling_restart
  log "rolled back to $image"
}

case "${1:-}" in
  deploy) shift; deploy "$@" ;;
  rollback) shift; rollback "$@" ;;
  compose) shift; compose "$@" ;;
  *) echo "usage: $0 deploy IMAGE | rollback [IMAGE] | compose ARGS..." >&2; exit 2 ;;
esac
