#!/usr/bin/env bash
# One instance of a running `make cluster` or `make dev`, by name, through its supervisor
# (scripts/lib.sh, supervise):
#
#   scripts/instance.sh restart NAME   stop it (its own stop signal) and start it again now
#   scripts/instance.sh stop NAME      stop it and keep it stopped (a hold), e.g. for a restore
#   scripts/instance.sh start NAME     lift the hold and start it now
#   scripts/instance.sh list           the instances and their pids
#
# The stack's directory: STACK_DIR, else CLUSTER_DIR, else .cluster (make dev-restart passes
# .dev). Waits until it is done (60 s at most; RESTART_TIMEOUT_S) and fails if it is not.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${STACK_DIR:-${CLUSTER_DIR:-$ROOT/.cluster}}
TIMEOUT=${RESTART_TIMEOUT_S:-60}
die() { printf '[instance] error: %s\n' "$*" >&2; exit 1; }
say() { printf '[instance] %s\n' "$*"; }

usage() { die "usage: scripts/instance.sh restart|stop|start NAME, or list"; }
(($# >= 1)) || usage
action=$1 name=${2:-}
[[ -f $DIR/ready ]] || die "no running stack in $DIR (start make cluster or make dev first)"

alive_pid() {
  local pid
  pid=$(cat "$DIR/pids/$name" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

until_true() {
  local what=$1 tries=0
  shift
  until "$@"; do
    ((tries++ < TIMEOUT * 5)) || die "$name: not $what within $TIMEOUT s (see $DIR/log/$name.log)"
    sleep 0.2
  done
}

if [[ $action == list ]]; then
  for f in "$DIR"/pids/*; do
    pid=$(<"$f")
    state=running
    kill -0 "$pid" 2>/dev/null || state=down
    [[ -e $DIR/hold/$(basename "$f") ]] && state="$state, held"
    printf '%-14s %-8s %s\n' "$(basename "$f")" "$pid" "$state"
  done
  exit 0
fi
[[ $name =~ ^[a-z][a-z0-9-]{0,40}$ ]] || usage
[[ -f $DIR/pids/$name ]] || die "no instance '$name' in $DIR (scripts/instance.sh list)"
mkdir -p "$DIR/hold" "$DIR/restart"

gone() { ! alive_pid >/dev/null; }
restarted() { [[ ! -e $DIR/restart/$name ]]; }

case $action in
  stop)
    touch "$DIR/hold/$name"
    until_true stopped gone
    say "$name stopped and held (scripts/instance.sh start $name)"
    ;;
  start | restart)
    rm -f "$DIR/hold/$name"
    touch "$DIR/restart/$name"
    until_true "started again" restarted
    pid=$(alive_pid) || die "$name did not start (see $DIR/log/$name.log); the supervisor tries again with a back-off"
    say "$name is running again (pid $pid)"
    ;;
  *) usage ;;
esac
