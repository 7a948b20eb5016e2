# shellcheck shell=bash
# Sourced by scripts/backup.sh, restore.sh and drill.sh: the running stack (make cluster or make
# dev) from its $DIR/stack.env, and helpers to run PostgreSQL and pgBackRest commands as the
# data's owner.
#
# Which stack: STACK_DIR if set; else .cluster if a cluster is running; else .dev if a make dev
# is running (CLUSTER_DIR and DEV_DIR are honoured as those scripts do).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
die() { printf '[%s] error: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

find_stack() {
  local dir
  if [[ -n ${STACK_DIR:-} ]]; then
    DIR=$STACK_DIR
  else
    for dir in "${CLUSTER_DIR:-$ROOT/.cluster}" "${DEV_DIR:-$ROOT/.dev}"; do
      [[ -f $dir/ready ]] && { DIR=$dir; break; }
    done
  fi
  [[ -n ${DIR:-} && -f $DIR/stack.env ]] || die "no running make cluster or make dev found (or set STACK_DIR)"
  DIR=$(cd "$DIR" && pwd)
  # shellcheck disable=SC1091
  source "$DIR/stack.env"
  CONF=$PG_DIR/pgbackrest.conf
}

as_pg() {
  if [[ -n $PG_OS_USER ]] && ((EUID == 0)); then
    setpriv "--reuid=$PG_OS_USER" "--regid=$(id -g "$PG_OS_USER")" --init-groups -- "$@"
  else
    "$@"
  fi
}

pgbr() { as_pg pgbackrest "--config=$CONF" --stanza=neonchat "$@"; }

psql_db() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"; }
