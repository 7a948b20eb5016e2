# shellcheck shell=bash
# Shared by scripts/dev.sh (`make dev`) and scripts/cluster.sh (`make cluster`): output,
# ports, starting servers and services in the background, and stopping them in reverse order.
#
# The sourcing script sets, before calling anything here:
#   ROOT   the repository root
#   TAG    the prefix of messages ("dev", "cluster")
#   DATA   the data directory (.dev, .cluster); logs go to $DATA/log, pids to $DATA/pids
#   PG_USER, PG_DB   the PostgreSQL role and database that start_postgres creates
# and calls `install_stop_traps` once.

TTY=0
[[ -t 1 ]] && TTY=1
bold() { ((TTY)) && printf '\033[%sm%s\033[0m' "$1" "$2" || printf '%s' "$2"; }
# A closed stdout (`make dev | tee log` with tee gone at Ctrl-C) must not stop the script
# before it has stopped what it started: write errors are ignored, and so is SIGPIPE once
# stopping has begun.
say() { printf '%s %s\n' "$(bold 1 "[$TAG]")" "$*" 2>/dev/null || true; }
die() { printf '%s %s\n' "$(bold '1;31' "[$TAG] error:")" "$*" >&2; exit 1; }

# nats_go_env: the Go runtime of a nats-server that shares the cores with the rest of the
# system (CO_LOCATED_NATS_GO_ENV in common/testing): NATS_GOMAXPROCS (1-256, default 1) and
# NATS_GOGC (10-10000 or off, default 400), checked because Go ignores a malformed value silently.
nats_go_env() {
  : "${NATS_GOMAXPROCS:=1}" "${NATS_GOGC:=400}"
  [[ $NATS_GOMAXPROCS =~ ^[0-9]+$ ]] && ((NATS_GOMAXPROCS >= 1 && NATS_GOMAXPROCS <= 256)) ||
    die "NATS_GOMAXPROCS must be a whole number from 1 to 256 (got '$NATS_GOMAXPROCS')"
  [[ $NATS_GOGC == off ]] || { [[ $NATS_GOGC =~ ^[0-9]+$ ]] && ((NATS_GOGC >= 10 && NATS_GOGC <= 10000)); } ||
    die "NATS_GOGC must be off or a whole number from 10 to 10000 (got '$NATS_GOGC')"
}

# load_dotenv: the variables of .env at the root, if there is one.
load_dotenv() {
  if [[ -f $ROOT/.env ]]; then
    set -a
    # shellcheck disable=SC1091
    source "$ROOT/.env"
    set +a
  fi
}

# --- ports -------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# check_ports PORT=WHAT...: fails, naming every busy port, if any is taken.
check_ports() {
  local busy=0 entry port
  for entry in "$@"; do
    port=${entry%%=*}
    if port_in_use "$port"; then
      printf '[%s] port %s is in use, and %s needs it' "$TAG" "$port" "${entry#*=}" >&2
      if command -v ss >/dev/null; then
        printf ' (%s)' "$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n1)" >&2
      fi
      printf '\n' >&2
      busy=1
    fi
  done
  ((busy == 0)) || die "free the port(s) above or pick others; is another 'make $TAG' running?"
}

# --- processes ---------------------------------------------------------------------------
NAMES=() PIDS=() WAIT_PIDS=() SIGNALS=()

# track NAME PID WAIT_PID SIGNAL: PID gets SIGNAL at shutdown, then WAIT_PID is waited for.
# The pid is also written to $DATA/pids/NAME, for tests that stop one instance on purpose.
track() {
  NAMES+=("$1") PIDS+=("$2") WAIT_PIDS+=("$3") SIGNALS+=("$4")
  mkdir -p "$DATA/pids"
  printf '%s\n' "$2" >"$DATA/pids/$1"
}

pid_of() {
  local i
  for i in "${!NAMES[@]}"; do [[ ${NAMES[i]} == "$1" ]] && { echo "${PIDS[i]}"; return; }; done
  return 1
}

stop_one() {
  local name=$1 pid=$2 wait_pid=$3 signal=$4 tries=0
  rm -f "$DATA/pids/$name"
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
  trap '' INT TERM PIPE
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_one "${NAMES[i]}" "${PIDS[i]}" "${WAIT_PIDS[i]}" "${SIGNALS[i]}"
  done
  ((${#PIDS[@]} == 0)) || say "stopped"
}

install_stop_traps() {
  trap stop_all EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# wait_ready NAME PID CHECK...: runs CHECK until it succeeds; fails if PID exits first.
wait_ready() {
  local name=$1 pid=$2 tries=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      if [[ -f $DATA/log/$name.log ]]; then
        tail -n 20 "$DATA/log/$name.log" >&2
        die "$name exited before it was ready (log: $DATA/log/$name.log)"
      fi
      die "$name exited before it was ready"
    fi
    ((tries++ < 600)) || die "$name was not ready within 60 s"
    sleep 0.1
  done
}

# http_ok URL: the URL answers 2xx.
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# Servers and services run in the background, each in a process group of its own (set -m),
# so that Ctrl-C reaches the script only, which then stops them in order.

# start_server NAME SIGNAL COMMAND...: runs it in the background, output to $DATA/log/NAME.log.
start_server() {
  local name=$1 signal=$2
  shift 2
  mkdir -p "$DATA/log"
  set -m
  "$@" >>"$DATA/log/$name.log" 2>&1 &
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
# start_redis NAME PORT
start_redis() {
  local name=$1 port=$2
  mkdir -p "$DATA/$name"
  start_server "$name" TERM "$(find_binary redis-server)" --bind 127.0.0.1 --port "$port" \
    --dir "$DATA/$name" --save '' --appendonly no
  wait_ready "$name" "${PIDS[-1]}" port_in_use "$port"
}

PG_BIN=""
pg_bin_dir() {
  [[ -n $PG_BIN ]] || PG_BIN=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1)")
  [[ -x $PG_BIN/postgres ]] || die "PostgreSQL is not installed: run make deps"
  echo "$PG_BIN"
}

# start_postgres PORT: PostgreSQL with its data in $DATA/pg, and the database $PG_DB.
start_postgres() {
  local port=$1 bin_dir pg_dir=$DATA/pg as_user=()
  bin_dir=$(pg_bin_dir)
  if ((EUID == 0)); then
    # PostgreSQL refuses to run as root: run it as `postgres` (or `nobody`), owner of its dir.
    local user=postgres group
    id -u "$user" >/dev/null 2>&1 || user=nobody
    group=$(id -g "$user")
    as_user=(setpriv "--reuid=$user" "--regid=$group" --init-groups --)
    if [[ ! -e $pg_dir ]] && ! "${as_user[@]}" test -x "$DATA"; then
      # The repository is out of that user's reach (a clone in /root, say): keep the data
      # where it can go, behind a link, at the same place every run.
      local elsewhere
      elsewhere=/var/tmp/neonchat-$TAG/$(printf '%s' "$DATA" | cksum | cut -d' ' -f1)/pg
      mkdir -p "$elsewhere"
      ln -s "$elsewhere" "$pg_dir"
      say "postgres   $user cannot reach $DATA: the data goes to $elsewhere (linked from $pg_dir)"
    fi
    pg_dir=$(readlink -f "$pg_dir")
    mkdir -p "$pg_dir/run"
    chown -R "$user:$group" "$pg_dir"
    "${as_user[@]}" test -x "$pg_dir" ||
      die "user $user cannot reach $pg_dir: let it through the parent directories (chmod o+x) or delete it"
  fi
  mkdir -p "$pg_dir/run" "$DATA/log"
  if [[ ! -f $pg_dir/data/PG_VERSION ]]; then
    say "postgres   first run: initdb in $pg_dir/data"
    "${as_user[@]}" "$bin_dir/initdb" -D "$pg_dir/data" -U "$PG_USER" --auth-local=trust \
      --auth-host=trust -E UTF8 --locale=C >>"$DATA/log/postgres.log" 2>&1 ||
      die "initdb failed (log: $DATA/log/postgres.log)"
  fi
  # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to leave.
  start_server postgres INT "${as_user[@]}" "$bin_dir/postgres" -D "$pg_dir/data" -p "$port" \
    -k "$pg_dir/run" -c listen_addresses=127.0.0.1
  wait_ready postgres "${PIDS[-1]}" "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port"

  local psql=("$bin_dir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
    say "postgres   creating database $PG_DB"
    "${psql[@]}" -c "CREATE DATABASE $PG_DB"
  fi
}

# ensure_jwt_secret: JWT_SECRET from the environment, or one made once into $DATA/jwt-secret.
ensure_jwt_secret() {
  if [[ -z ${JWT_SECRET:-} ]]; then
    if [[ ! -s $DATA/jwt-secret ]]; then
      mkdir -p "$DATA"
      (umask 077 && node -p "require('node:crypto').randomBytes(32).toString('hex')" >"$DATA/jwt-secret")
      say "made a development JWT secret in $DATA/jwt-secret"
    fi
    JWT_SECRET=$(<"$DATA/jwt-secret")
  fi
  export JWT_SECRET
}

# migrate_and_provision: the database migrations, then the JetStream streams (the persister
# provisions them too; doing it first means no service waits for another at start).
migrate_and_provision() {
  say "migrations"
  node "$ROOT/common/dist/db/migrate-cli.js" || die "the migrations failed"
  say "streams"
  node "$ROOT/common/dist/runtime/provision-cli.js" || die "stream provisioning failed"
}

# --- services ----------------------------------------------------------------------------
prettify() {
  local name=$1 color=$2 colorize=()
  ((TTY)) && colorize=(--colorize)
  "$ROOT/node_modules/.bin/pino-pretty" "${colorize[@]}" --translateTime SYS:HH:MM:ss.l \
    --ignore pid,hostname,service,instance | sed -u "s/^/$(bold "$color" "$(printf '%-10s' "$name")")| /"
}

# Node options of the gateway: a fixed young generation, half the GC pauses under load
# (gateway/src/node-flags.ts says why; its test keeps this list the same as its own).
GATEWAY_NODE_FLAGS=(--max-semi-space-size=32 --min-semi-space-size=32)

# start_service NAME WORKSPACE COLOR [VAR=VALUE...]: node WORKSPACE/dist/main.js with the extra
# environment. COLOR set: readable logs on this terminal; COLOR empty: JSON lines to
# $DATA/log/NAME.log.
start_service() {
  local name=$1 workspace=$2 color=$3 pid node_flags=()
  shift 3
  [[ $workspace == gateway ]] && node_flags=("${GATEWAY_NODE_FLAGS[@]}")
  mkdir -p "$DATA/log"
  set -m
  if [[ -n $color ]]; then
    env "$@" node "${node_flags[@]}" "$ROOT/$workspace/dist/main.js" 2>&1 | prettify "$name" "$color" &
    pid=$(jobs -p %+) # the job's group leader: node itself
  else
    env "$@" node "${node_flags[@]}" "$ROOT/$workspace/dist/main.js" >>"$DATA/log/$name.log" 2>&1 &
    pid=$!
  fi
  set +m
  track "$name" "$pid" "$!" TERM
}

# require_built WORKSPACE...: each has dist/main.js.
require_built() {
  local ws
  for ws in "$@"; do
    [[ -f $ROOT/$ws/dist/main.js ]] || die "$ws/dist/main.js is missing: is the build complete? (make build)"
  done
  [[ -f $ROOT/common/dist/db/migrate-cli.js ]] || die "common/dist/db/migrate-cli.js is missing: run make build"
}
