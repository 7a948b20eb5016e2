#!/usr/bin/env bash
# `make dev`: the whole of NeonChat on this machine, in the foreground.
#
# Installs and builds what is missing (scripts/deps.sh), starts NATS (JetStream), PostgreSQL
# and Redis on 127.0.0.1 with their data under .dev/, creates the database, runs the
# migrations and starts persister, presence, gateway and api with readable logs (also appended,
# as JSON lines, to .dev/log/NAME.log, rotated by size: LOG_ROTATE_MB, LOG_ROTATE_KEEP). Whatever
# exits (a service or a server) is started again with a back-off, as a supervisor would;
# `make dev-restart NAME=gateway` restarts one (scripts/instance.sh). Ctrl-C (or SIGTERM, once or
# more) stops everything in reverse order and waits for it. The next run reuses the data;
# `make clean-dev` deletes it.
#
# Settings (environment, or a .env file at the root, see .env.example):
#   NATS_PORT=4222 PG_PORT=5432 REDIS_PORT=6379   ports of the servers (always 127.0.0.1)
#   API_PORT, GATEWAY_PORT, *_METRICS_PORT, LOG_LEVEL, ...   passed to the services as is
#   JWT_SECRET            default: a random secret made once into .dev/jwt-secret
#   DEV_SERVERS_ONLY=1    start the servers, database and migrations only, not the services
#   DEV_SKIP_DEPS=1       skip scripts/deps.sh (nothing is installed or rebuilt)
#   NATS_GOMAXPROCS=1 NATS_GOGC=400   Go runtime of nats-server, which shares the cores here
#   DEV_DIR=.dev          data, logs, pids
# NATS_URL, DATABASE_URL and REDIS_URL are set from the ports above.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TAG=dev
PG_DB=neonchat
PG_USER=neon
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
load_dotenv
DATA=$(mkdir -p "${DEV_DIR:-$ROOT/.dev}" && cd "${DEV_DIR:-$ROOT/.dev}" && pwd)
install_stop_traps

: "${NATS_PORT:=4222}" "${PG_PORT:=5432}" "${REDIS_PORT:=6379}"
nats_go_env
export API_PORT=${API_PORT:-8080} GATEWAY_PORT=${GATEWAY_PORT:-8082}
export GATEWAY_METRICS_PORT=${GATEWAY_METRICS_PORT:-9082}
export PERSISTER_METRICS_PORT=${PERSISTER_METRICS_PORT:-9083}
export PRESENCE_METRICS_PORT=${PRESENCE_METRICS_PORT:-9084}
export NODE_ENV=${NODE_ENV:-development} LOG_LEVEL=${LOG_LEVEL:-info}
export WEB_WS_URL=${WEB_WS_URL:-ws://127.0.0.1:$GATEWAY_PORT/ws}
SERVICES=(persister presence gateway api) # start order; they stop in reverse

start_nats() {
  mkdir -p "$DATA/nats"
  start_server nats TERM env "GOMAXPROCS=$NATS_GOMAXPROCS" "GOGC=$NATS_GOGC" \
    "$(find_binary nats-server)" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$DATA/nats" -n neonchat-dev
  wait_ready nats "$(pid_of nats)" port_in_use "$NATS_PORT" || return
  say "nats       nats://127.0.0.1:$NATS_PORT (JetStream in $DATA/nats)"
}

wait_service() {
  local name=$1 port=$2
  wait_ready "$name" "$(pid_of "$name")" port_in_use "$port"
}

banner() {
  cat <<EOF

  NeonChat is running. Ctrl-C stops everything.
    Web client http://127.0.0.1:$API_PORT/
    API        http://127.0.0.1:$API_PORT/api/v1
    API docs   http://127.0.0.1:$API_PORT/docs
    WebSocket  ws://127.0.0.1:$GATEWAY_PORT/ws?token=<JWT>
    metrics    :$API_PORT/metrics  :$GATEWAY_METRICS_PORT/metrics  :$PERSISTER_METRICS_PORT/metrics  :$PRESENCE_METRICS_PORT/metrics
    servers    $NATS_URL  $DATABASE_URL  $REDIS_URL
    logs       here, and every one in $DATA/log/NAME.log

EOF
}

# --- main --------------------------------------------------------------------------------
ports=("$NATS_PORT=NATS" "$PG_PORT=PostgreSQL" "$REDIS_PORT=Redis")
if [[ ${DEV_SERVERS_ONLY:-0} != 1 ]]; then
  ports+=("$API_PORT=api (API_PORT)" "$GATEWAY_PORT=gateway (GATEWAY_PORT)"
    "$GATEWAY_METRICS_PORT=gateway metrics (GATEWAY_METRICS_PORT)"
    "$PERSISTER_METRICS_PORT=persister metrics (PERSISTER_METRICS_PORT)"
    "$PRESENCE_METRICS_PORT=presence metrics (PRESENCE_METRICS_PORT)")
fi
check_ports "${ports[@]}"

[[ ${DEV_SKIP_DEPS:-0} == 1 ]] || "$ROOT/scripts/deps.sh"

if [[ ${DEV_SERVERS_ONLY:-0} != 1 ]]; then
  require_built "${SERVICES[@]}"
else
  require_built
fi

mkdir -p "$DATA/log"
ensure_jwt_secret
export NATS_URL=nats://127.0.0.1:$NATS_PORT
export DATABASE_URL=postgres://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT

managed nats start_nats
managed postgres start_postgres "$PG_PORT"
setup_backups "$PG_PORT"
say "postgres   $DATABASE_URL (data in $DATA/pg; WAL archived to pgBackRest, make backup / make restore)"
managed redis start_redis redis "$REDIS_PORT"
say "redis      $REDIS_URL"

migrate_and_provision
PERSISTERS=persister API_URL=http://127.0.0.1:$API_PORT/api/v1 WS_URL=ws://127.0.0.1:$GATEWAY_PORT/ws
[[ ${DEV_SERVERS_ONLY:-0} != 1 ]] || PERSISTERS=""
write_stack_env NATS_URL DATABASE_URL PG_PORT PERSISTERS API_URL WS_URL

if [[ ${DEV_SERVERS_ONLY:-0} == 1 ]]; then
  say "DEV_SERVERS_ONLY=1: the services are not started"
  printf '\n  Servers are running. Ctrl-C stops them.\n    %s\n    %s\n    %s\n\n' \
    "NATS_URL=$NATS_URL" "DATABASE_URL=$DATABASE_URL" "REDIS_URL=$REDIS_URL"
else
  colors=(35 33 36 32)
  for i in "${!SERVICES[@]}"; do
    managed "${SERVICES[i]}" start_service "${SERVICES[i]}" "${SERVICES[i]}" "${colors[i]}" "INSTANCE_ID=${SERVICES[i]}"
  done
  wait_service persister "$PERSISTER_METRICS_PORT"
  wait_service presence "$PRESENCE_METRICS_PORT"
  wait_service gateway "$GATEWAY_PORT"
  wait_service api "$API_PORT"
  banner
fi

printf '%s\n' "$$" >"$DATA/ready"
# Until Ctrl-C: what exits is started again (scripts/lib.sh, supervise).
supervise
