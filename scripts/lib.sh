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
# Per name: how to start it again (STARTER), when it last started (STARTED_AT, $SECONDS), how
# many quick exits in a row (FAILS), when it is due to start again (DUE; empty while it runs).
declare -A STARTER=() STARTED_AT=() FAILS=() DUE=() ASKED=()
RESPAWNING=0

# track NAME PID WAIT_PID SIGNAL: PID gets SIGNAL at shutdown, then WAIT_PID is waited for.
# A name tracked again (a restart) keeps its place in the stop order. The pid is also written
# to $DATA/pids/NAME, for scripts/instance.sh and for tests that stop one instance on purpose.
track() {
  local i found=0
  for i in "${!NAMES[@]}"; do
    if [[ ${NAMES[i]} == "$1" ]]; then
      PIDS[i]=$2 WAIT_PIDS[i]=$3 SIGNALS[i]=$4 found=1
      break
    fi
  done
  ((found)) || { NAMES+=("$1") PIDS+=("$2") WAIT_PIDS+=("$3") SIGNALS+=("$4"); }
  STARTED_AT[$1]=$SECONDS
  mkdir -p "$DATA/pids"
  printf '%s\n' "$2" >"$DATA/pids/$1"
}

pid_of() {
  local i
  for i in "${!NAMES[@]}"; do [[ ${NAMES[i]} == "$1" ]] && { echo "${PIDS[i]}"; return; }; done
  return 1
}

# managed NAME COMMAND...: runs COMMAND (a start function that tracks NAME) now, and again
# whenever NAME exits, as a supervisor would (see supervise).
managed() {
  local name=$1
  shift
  STARTER[$name]=$(printf '%q ' "$@")
  "$@"
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
  rm -f "$DATA/ready"
  ((${#PIDS[@]} == 0)) || say "stopped"
}

# A signal ignores every later INT and TERM before anything else: `make` passes a TERM on to
# this script, so the process group's TERM arrives twice, and a second `exit` inside the EXIT
# trap would end the clean-up half way (processes left running, ports held).
on_signal() {
  trap '' INT TERM
  exit "$1"
}

install_stop_traps() {
  trap stop_all EXIT
  trap 'on_signal 130' INT
  trap 'on_signal 143' TERM
}

# --- supervision -------------------------------------------------------------------------
# Every instance started through `managed` is started again when it exits: after 1 s, then
# twice as long after each exit within 30 s of its start, at most 30 s (as Kubernetes backs
# off a crashing container). scripts/instance.sh steers one instance by name through files:
#   $DATA/hold/NAME      keep it stopped (stopped by the script if it runs, not restarted)
#   $DATA/restart/NAME   start it again now (stopped first if it runs), back-off reset
BACKOFF_MAX_S=30

backoff_s() {
  local n=$1 d=1
  while ((n-- > 1 && d < BACKOFF_MAX_S)); do d=$((d * 2)); done
  ((d > BACKOFF_MAX_S)) && d=$BACKOFF_MAX_S
  echo "$d"
}

# respawn NAME: runs its starter again; on failure it is due again after a back-off.
respawn() {
  local name=$1
  unset "ASKED[$name]"
  RESPAWNING=1
  if eval "${STARTER[$name]}"; then
    RESPAWNING=0
    DUE[$name]=""
    rm -f "$DATA/restart/$name"
    say "$name started again (pid $(pid_of "$name"))"
  else
    RESPAWNING=0
    rm -f "$DATA/restart/$name"
    FAILS[$name]=$((${FAILS[$name]:-0} + 1))
    DUE[$name]=$((SECONDS + $(backoff_s "${FAILS[$name]}")))
    say "$name did not start; trying again in $((DUE[$name] - SECONDS)) s"
  fi
}

# check_instance I: one pass over instance I (alive, held, asked to restart, due).
check_instance() {
  local i=$1 name=${NAMES[$1]} code=""
  if kill -0 "${PIDS[i]}" 2>/dev/null; then
    if [[ -z ${ASKED[$name]:-} && (-e $DATA/hold/$name || -e $DATA/restart/$name) ]]; then
      ASKED[$name]=1
      say "stopping $name (asked by scripts/instance.sh)"
      kill -s "${SIGNALS[i]}" "${PIDS[i]}" 2>/dev/null || true
    fi
    return 0
  fi
  [[ -n ${STARTER[$name]:-} ]] || return 0
  if [[ -z ${DUE[$name]:-} ]]; then
    # Just found gone: collect its status, decide when it starts again.
    if [[ ${PIDS[i]} == "${WAIT_PIDS[i]}" ]]; then
      wait "${WAIT_PIDS[i]}" 2>/dev/null && code=0 || code=$?
    else
      wait "${WAIT_PIDS[i]}" 2>/dev/null || true
    fi
    unset "ASKED[$name]"
    if ((SECONDS - ${STARTED_AT[$name]:-0} > 30)); then FAILS[$name]=1; else FAILS[$name]=$((${FAILS[$name]:-0} + 1)); fi
    DUE[$name]=$((SECONDS + $(backoff_s "${FAILS[$name]}")))
    if [[ -e $DATA/hold/$name ]]; then
      say "$name stopped${code:+ (exit code $code)}; held (scripts/instance.sh start $name lets it run again)"
    elif [[ -e $DATA/restart/$name ]]; then
      DUE[$name]=$SECONDS
    else
      say "$name exited${code:+ with code $code} (log: $DATA/log/$name.log); starting it again in $((DUE[$name] - SECONDS)) s"
    fi
  fi
  [[ -e $DATA/hold/$name ]] && return 0
  if [[ -e $DATA/restart/$name ]] || ((SECONDS >= DUE[$name])); then respawn "$name"; fi
}

# supervise: until a signal, restarts what exits (see above) and rotates the logs.
supervise() {
  local i last_rotation=$SECONDS
  mkdir -p "$DATA/hold" "$DATA/restart"
  while :; do
    sleep 0.5 &
    wait $! 2>/dev/null || true
    for i in "${!NAMES[@]}"; do check_instance "$i"; done
    if ((SECONDS - last_rotation >= 10)); then
      rotate_logs
      last_rotation=$SECONDS
    fi
  done
}

# --- logs --------------------------------------------------------------------------------
# rotate_logs: every $DATA/log/*.log past LOG_ROTATE_MB (default 20 MiB) is copied to NAME.log.1
# (the older copies move up to .LOG_ROTATE_KEEP, default 3, and the oldest goes) and truncated
# in place. Every writer appends (O_APPEND), so it goes on at the start of the emptied file;
# lines written between the copy and the truncation are lost (copytruncate, as logrotate does
# it; done here so that nothing else has to be installed or scheduled).
rotate_logs() {
  local max=$((${LOG_ROTATE_MB:-20} * 1024 * 1024)) keep=${LOG_ROTATE_KEEP:-3} log n size
  for log in "$DATA"/log/*.log; do
    [[ -f $log ]] || continue
    size=$(stat -c %s "$log" 2>/dev/null) || continue
    ((size > max)) || continue
    for ((n = keep - 1; n >= 1; n--)); do
      [[ -f $log.$n ]] && mv -f "$log.$n" "$log.$((n + 1))"
    done
    cp "$log" "$log.1" && : >"$log"
  done
}

# wait_ready NAME PID CHECK...: runs CHECK until it succeeds; fails if PID exits first.
# While respawning (supervise), a failure is returned instead: the rest keep running.
wait_ready() {
  local name=$1 pid=$2 tries=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      ((RESPAWNING)) && return 1
      if [[ -f $DATA/log/$name.log ]]; then
        tail -n 20 "$DATA/log/$name.log" >&2
        die "$name exited before it was ready (log: $DATA/log/$name.log)"
      fi
      die "$name exited before it was ready"
    fi
    if ((tries++ >= 600)); then
      ((RESPAWNING)) && { say "$name was not ready within 60 s"; return 1; }
      die "$name was not ready within 60 s"
    fi
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
  wait_ready "$name" "$(pid_of "$name")" port_in_use "$port" || return
}

PG_BIN=""
pg_bin_dir() {
  [[ -n $PG_BIN ]] || PG_BIN=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1)")
  [[ -x $PG_BIN/postgres ]] || die "PostgreSQL is not installed: run make deps"
  echo "$PG_BIN"
}

# start_postgres PORT: PostgreSQL with its data in $DATA/pg, and the database $PG_DB.
# PG_AS_USER: the command prefix that runs a PostgreSQL (or pgBackRest) command as the owner of
# the data; PG_DIR: the data's real directory (data/, run/, backup/ the pgBackRest repository).
PG_AS_USER=() PG_OS_USER="" PG_DIR=""
# start_postgres PORT: PostgreSQL with its data in $DATA/pg, and the database $PG_DB; WAL
# archived continuously to pgBackRest (archive_timeout ARCHIVE_TIMEOUT_S, default 60 s).
start_postgres() {
  local port=$1 bin_dir pg_dir=$DATA/pg as_user=()
  bin_dir=$(pg_bin_dir)
  if ((EUID == 0)); then
    # PostgreSQL refuses to run as root: run it as `postgres` (or `nobody`), owner of its dir.
    local user=postgres group
    id -u "$user" >/dev/null 2>&1 || user=nobody
    group=$(id -g "$user")
    as_user=(setpriv "--reuid=$user" "--regid=$group" --init-groups --)
    PG_AS_USER=("${as_user[@]}") PG_OS_USER=$user
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
    mkdir -p "$pg_dir/run" "$pg_dir/backup" "$pg_dir/pgbackrest"
    chown -R "$user:$group" "$pg_dir"
    "${as_user[@]}" test -x "$pg_dir" ||
      die "user $user cannot reach $pg_dir: let it through the parent directories (chmod o+x) or delete it"
  fi
  mkdir -p "$pg_dir/run" "$pg_dir/backup" "$pg_dir/pgbackrest" "$DATA/log"
  PG_DIR=$(readlink -f "$pg_dir")
  write_pgbackrest_conf "$port"
  if [[ ! -f $pg_dir/data/PG_VERSION ]] && ((RESPAWNING)); then
    # The data is gone while the stack runs (a lost disk): an empty database made here would
    # take the services' writes. It stays down until `make restore` brings the data back.
    say "postgres   $pg_dir/data is gone: not starting an empty database (make restore)"
    return 1
  fi
  if [[ ! -f $pg_dir/data/PG_VERSION ]]; then
    say "postgres   first run: initdb in $pg_dir/data"
    # Collation C (byte order), LC_CTYPE C.UTF-8: text search folds case by LC_CTYPE, and C
    # folds ASCII only (the search migration folds with ICU anyway; this is for everything else).
    "${as_user[@]}" "$bin_dir/initdb" -D "$pg_dir/data" -U "$PG_USER" --auth-local=trust \
      --auth-host=trust -E UTF8 --locale=C --lc-ctype=C.UTF-8 >>"$DATA/log/postgres.log" 2>&1 ||
      die "initdb failed (log: $DATA/log/postgres.log)"
  fi
  # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to leave.
  start_server postgres INT "${as_user[@]}" "$bin_dir/postgres" -D "$pg_dir/data" -p "$port" \
    -k "$pg_dir/run" -c listen_addresses=127.0.0.1 -c wal_level=replica -c archive_mode=on \
    -c "archive_command=pgbackrest --config=$PG_DIR/pgbackrest.conf --stanza=neonchat archive-push %p" \
    -c "archive_timeout=${ARCHIVE_TIMEOUT_S:-60}"
  # -U and -d: without them pg_isready logs in as the Unix user (root), and PostgreSQL writes
  # FATAL: role "root" does not exist into its log at every start.
  wait_ready postgres "$(pid_of postgres)" "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres || return

  local psql=("$bin_dir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
    say "postgres   creating database $PG_DB"
    "${psql[@]}" -c "CREATE DATABASE $PG_DB"
  fi
}

# write_pgbackrest_conf PORT: the stanza `neonchat` of this stack, its repository in
# $PG_DIR/backup (two full backups kept, with the WAL they need), in $PG_DIR/pgbackrest.conf.
write_pgbackrest_conf() {
  cat >"$PG_DIR/pgbackrest.conf" <<CONF
# Generated by scripts/lib.sh for this stack (make backup / make restore).
[global]
repo1-path=$PG_DIR/backup
repo1-retention-full=2
lock-path=$PG_DIR/pgbackrest
log-path=$PG_DIR/pgbackrest
log-level-console=warn
log-level-file=info
start-fast=y
compress-level=1

[neonchat]
pg1-path=$PG_DIR/data
pg1-port=$1
pg1-socket-path=$PG_DIR/run
pg1-user=$PG_USER
CONF
  [[ -z $PG_OS_USER ]] || chown "$PG_OS_USER:" "$PG_DIR/pgbackrest.conf"
}

# setup_backups: the pgBackRest stanza (idempotent) and neonchat_ops.backups, where
# scripts/backup.sh records each backup (the BackupTooOld alert reads it).
setup_backups() {
  "${PG_AS_USER[@]}" pgbackrest "--config=$PG_DIR/pgbackrest.conf" --stanza=neonchat stanza-create \
    >>"$DATA/log/pgbackrest.log" 2>&1 || die "pgbackrest stanza-create failed (log: $DATA/log/pgbackrest.log)"
  "$(pg_bin_dir)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$PG_USER" -d "$PG_DB" -c \
    "CREATE SCHEMA IF NOT EXISTS neonchat_ops;
     CREATE TABLE IF NOT EXISTS neonchat_ops.backups (kind text NOT NULL, label text NOT NULL, finished_at timestamptz NOT NULL DEFAULT now())" \
    >/dev/null || die "could not create neonchat_ops.backups"
}

# write_stack_env VAR...: $DATA/stack.env, what scripts/backup.sh, restore.sh and drill.sh need
# to find this stack's servers (the named variables, plus PostgreSQL's).
write_stack_env() {
  local v
  {
    printf 'STACK_TAG=%q\nPG_DIR=%q\nPG_BIN=%q\nPG_OS_USER=%q\nPG_USER=%q\nPG_DB=%q\n' \
      "$TAG" "$PG_DIR" "$(pg_bin_dir)" "$PG_OS_USER" "$PG_USER" "$PG_DB"
    for v in "$@"; do printf '%s=%q\n' "$v" "${!v}"; done
  } >"$DATA/stack.env"
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
# environment, its JSON lines appended to $DATA/log/NAME.log; COLOR set: also readable on this
# terminal.
start_service() {
  local name=$1 workspace=$2 color=$3 pid node_flags=()
  shift 3
  [[ $workspace == gateway ]] && node_flags=("${GATEWAY_NODE_FLAGS[@]}")
  mkdir -p "$DATA/log"
  set -m
  if [[ -n $color ]]; then
    env "$@" node "${node_flags[@]}" "$ROOT/$workspace/dist/main.js" 2>&1 | tee -a "$DATA/log/$name.log" | prettify "$name" "$color" &
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
