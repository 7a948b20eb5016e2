#!/usr/bin/env bash
# `make dev`: the whole of NeonChat on this machine, in the foreground.
#
# Installs and builds what is missing (scripts/deps.sh), starts NATS (JetStream), PostgreSQL
# and Redis on 127.0.0.1 with their data under .dev/, creates the database, runs the
# migrations and starts persister, presence, gateway and api with readable logs. Ctrl-C (or
# SIGTERM) stops everything in reverse order and waits for it. The next run reuses the data;
# `make clean-dev` deletes it.
#
# Settings (environment, or a .env file at the root, see .env.example):
#   NATS_PORT=4222 PG_PORT=5432 REDIS_PORT=6379   ports of the servers (always 127.0.0.1)
#   API_PORT, GATEWAY_PORT, *_METRICS_PORT, LOG_LEVEL, ...   passed to the services as is
#   JWT_SECRET            default: a random secret made once into .dev/jwt-secret
#   DEV_SERVERS_ONLY=1    start the servers, database and migrations only, not the services
#   DEV_SKIP_DEPS=1       skip scripts/deps.sh (nothing is installed or rebuilt)
# NATS_URL, DATABASE_URL and REDIS_URL are set from the ports above.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [[ -f .env ]]; then
  set -a
  # shellcheck disable=SC1091
  source .env
  set +a
fi

: "${NATS_PORT:=4222}" "${PG_PORT:=5432}" "${REDIS_PORT:=6379}"
export API_PORT=${API_PORT:-8080} GATEWAY_PORT=${GATEWAY_PORT:-8082}
export GATEWAY_METRICS_PORT=${GATEWAY_METRICS_PORT:-9082}
export PERSISTER_METRICS_PORT=${PERSISTER_METRICS_PORT:-9083}
export PRESENCE_METRICS_PORT=${PRESENCE_METRICS_PORT:-9084}
export NODE_ENV=${NODE_ENV:-development} LOG_LEVEL=${LOG_LEVEL:-info}
export WEB_WS_URL=${WEB_WS_URL:-ws://127.0.0.1:$GATEWAY_PORT/ws}
SERVICES=(persister presence gateway api) # start order; they stop in reverse

DEV=$ROOT/.dev
LOGS=$DEV/log
PG_DB=neonchat
PG_USER=neon

TTY=0
[[ -t 1 ]] && TTY=1
bold() { ((TTY)) && printf '\033[%sm%s\033[0m' "$1" "$2" || printf '%s' "$2"; }
say() { printf '%s %s\n' "$(bold 1 '[dev]')" "$*"; }
die() { printf '%s %s\n' "$(bold '1;31' '[dev] error:')" "$*" >&2; exit 1; }

# --- ports -------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_ports() {
  local busy=0 entry port
  for entry in "$@"; do
    port=${entry%%=*}
    if port_in_use "$port"; then
      printf '[dev] port %s is in use, and %s needs it' "$port" "${entry#*=}" >&2
      if command -v ss >/dev/null; then
        printf ' (%s)' "$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n1)" >&2
      fi
      printf '\n' >&2
      busy=1
    fi
  done
  ((busy == 0)) || die "free the port(s) above or pick others (e.g. PG_PORT=5433 make dev); is another 'make dev' running?"
}

# --- processes ---------------------------------------------------------------------------
NAMES=() PIDS=() WAIT_PIDS=() SIGNALS=()

# track NAME PID WAIT_PID SIGNAL: PID gets SIGNAL at shutdown, then WAIT_PID is waited for.
track() { NAMES+=("$1") PIDS+=("$2") WAIT_PIDS+=("$3") SIGNALS+=("$4"); }

stop_one() {
  local name=$1 pid=$2 wait_pid=$3 signal=$4 tries=0
  kill -0 "$pid" 2>/dev/null || { wait "$wait_pid" 2>/dev/null || true; return 0; }
  say "stopping $name"
  kill -s "$signal" "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((tries++ < 200)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop within 20 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$wait_pid" 2>/dev/null || true
}

STOPPING=0
stop_all() {
  ((STOPPING == 0)) || return 0
  STOPPING=1
  trap '' INT TERM
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_one "${NAMES[i]}" "${PIDS[i]}" "${WAIT_PIDS[i]}" "${SIGNALS[i]}"
  done
  ((${#PIDS[@]} == 0)) || say "stopped"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_ready NAME PID CHECK...: runs CHECK until it succeeds; fails if PID exits first.
wait_ready() {
  local name=$1 pid=$2 tries=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      if [[ -f $LOGS/$name.log ]]; then
        tail -n 20 "$LOGS/$name.log" >&2
        die "$name exited before it was ready (log: $LOGS/$name.log)"
      fi
      die "$name exited before it was ready"
    fi
    ((tries++ < 600)) || die "$name was not ready within 60 s"
    sleep 0.1
  done
}

# Servers and services run in the background, each in a process group of its own (set -m),
# so that Ctrl-C reaches this script only, which then stops them in order.

# start_server NAME SIGNAL COMMAND...: runs it in the background, output to .dev/log/NAME.log.
start_server() {
  local name=$1 signal=$2
  shift 2
  set -m
  "$@" >>"$LOGS/$name.log" 2>&1 &
  set +m
  track "$name" "$!" "$!" "$signal"
}

find_binary() {
  local name=$1 dir
  for dir in /usr/sbin /usr/bin /usr/local/bin; do
    [[ -x $dir/$name ]] && { echo "$dir/$name"; return; }
  done
  command -v "$name" || die "$name is not installed: run make deps"
}

# --- servers -----------------------------------------------------------------------------
start_nats() {
  mkdir -p "$DEV/nats"
  start_server nats TERM "$(find_binary nats-server)" -js -a 127.0.0.1 -p "$NATS_PORT" \
    -sd "$DEV/nats" -n neonchat-dev
  wait_ready nats "${PIDS[-1]}" port_in_use "$NATS_PORT"
  say "nats       nats://127.0.0.1:$NATS_PORT (JetStream in .dev/nats)"
}

start_redis() {
  mkdir -p "$DEV/redis"
  start_server redis TERM "$(find_binary redis-server)" --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$DEV/redis" --save '' --appendonly no
  wait_ready redis "${PIDS[-1]}" port_in_use "$REDIS_PORT"
  say "redis      redis://127.0.0.1:$REDIS_PORT"
}

start_postgres() {
  local bin_dir pg_dir=$DEV/pg as_user=()
  bin_dir=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1)")
  [[ -x $bin_dir/postgres ]] || die "PostgreSQL is not installed: run make deps"
  if ((EUID == 0)); then
    # PostgreSQL refuses to run as root: run it as `postgres` (or `nobody`), owner of its dir.
    local user=postgres group
    id -u "$user" >/dev/null 2>&1 || user=nobody
    group=$(id -g "$user")
    as_user=(setpriv "--reuid=$user" "--regid=$group" --init-groups --)
    if [[ ! -e $pg_dir ]] && ! "${as_user[@]}" test -x "$DEV"; then
      # The repository is out of that user's reach (a clone in /root, say): keep the data
      # where it can go, behind a link, at the same place every run.
      local elsewhere
      elsewhere=/var/tmp/neonchat-dev/$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)/pg
      mkdir -p "$elsewhere"
      ln -s "$elsewhere" "$pg_dir"
      say "postgres   $user cannot reach $DEV: the data goes to $elsewhere (linked from .dev/pg)"
    fi
    pg_dir=$(readlink -f "$pg_dir")
    mkdir -p "$pg_dir/run"
    chown -R "$user:$group" "$pg_dir"
    "${as_user[@]}" test -x "$pg_dir" ||
      die "user $user cannot reach $pg_dir: let it through the parent directories (chmod o+x) or delete .dev/pg"
  fi
  mkdir -p "$pg_dir/run"
  if [[ ! -f $pg_dir/data/PG_VERSION ]]; then
    say "postgres   first run: initdb in .dev/pg/data"
    "${as_user[@]}" "$bin_dir/initdb" -D "$pg_dir/data" -U "$PG_USER" --auth-local=trust \
      --auth-host=trust -E UTF8 --locale=C >>"$LOGS/postgres.log" 2>&1 ||
      die "initdb failed (log: $LOGS/postgres.log)"
  fi
  # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to leave.
  start_server postgres INT "${as_user[@]}" "$bin_dir/postgres" -D "$pg_dir/data" -p "$PG_PORT" \
    -k "$pg_dir/run" -c listen_addresses=127.0.0.1
  wait_ready postgres "${PIDS[-1]}" "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"

  local psql=("$bin_dir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
    say "postgres   creating database $PG_DB"
    "${psql[@]}" -c "CREATE DATABASE $PG_DB"
  fi
  say "postgres   $DATABASE_URL (data in .dev/pg)"
}

# --- services ----------------------------------------------------------------------------
prettify() {
  local name=$1 color=$2 colorize=()
  ((TTY)) && colorize=(--colorize)
  "$ROOT/node_modules/.bin/pino-pretty" "${colorize[@]}" --translateTime SYS:HH:MM:ss.l \
    --ignore pid,hostname,service | sed -u "s/^/$(bold "$color" "$(printf '%-10s' "$name")")| /"
}

start_service() {
  local name=$1 color=$2 pid
  set -m
  node "$name/dist/main.js" 2>&1 | prettify "$name" "$color" &
  pid=$(jobs -p %+) # the job's group leader: node itself
  set +m
  track "$name" "$pid" "$!" TERM
}

wait_service() {
  local name=$1 port=$2 i
  for i in "${!NAMES[@]}"; do [[ ${NAMES[i]} == "$name" ]] && break; done
  wait_ready "$name" "${PIDS[i]}" port_in_use "$port"
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
    logs       services here; servers in .dev/log/

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
  for svc in "${SERVICES[@]}"; do
    [[ -f $svc/dist/main.js ]] ||
      die "$svc/dist/main.js is missing: is the build complete? (DEV_SERVERS_ONLY=1 starts the servers only)"
  done
fi
[[ -f common/dist/db/migrate-cli.js ]] || die "common/dist/db/migrate-cli.js is missing: run make build"

mkdir -p "$DEV" "$LOGS"
if [[ -z ${JWT_SECRET:-} ]]; then
  if [[ ! -s $DEV/jwt-secret ]]; then
    (umask 077 && node -p "require('node:crypto').randomBytes(32).toString('hex')" >"$DEV/jwt-secret")
    say "made a development JWT secret in .dev/jwt-secret"
  fi
  JWT_SECRET=$(<"$DEV/jwt-secret")
fi
export JWT_SECRET
export NATS_URL=nats://127.0.0.1:$NATS_PORT
export DATABASE_URL=postgres://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT

start_nats
start_postgres
start_redis

say "migrations"
node common/dist/db/migrate-cli.js || die "the migrations failed"
# The persister provisions the streams too; doing it here first means DEV_SERVERS_ONLY=1 gets
# them as well, and no service waits for another at start.
say "streams"
node common/dist/runtime/provision-cli.js || die "stream provisioning failed"

if [[ ${DEV_SERVERS_ONLY:-0} == 1 ]]; then
  say "DEV_SERVERS_ONLY=1: the services are not started"
  printf '\n  Servers are running. Ctrl-C stops them.\n    %s\n    %s\n    %s\n\n' \
    "NATS_URL=$NATS_URL" "DATABASE_URL=$DATABASE_URL" "REDIS_URL=$REDIS_URL"
else
  colors=(35 33 36 32)
  for i in "${!SERVICES[@]}"; do
    start_service "${SERVICES[i]}" "${colors[i]}"
  done
  wait_service persister "$PERSISTER_METRICS_PORT"
  wait_service presence "$PRESENCE_METRICS_PORT"
  wait_service gateway "$GATEWAY_PORT"
  wait_service api "$API_PORT"
  banner
fi

# Until Ctrl-C, or until one of them exits on its own.
while :; do
  wait -n || true
  for i in "${!PIDS[@]}"; do
    kill -0 "${PIDS[i]}" 2>/dev/null || die "${NAMES[i]} exited unexpectedly: stopping the rest"
  done
done
