#!/usr/bin/env bash
# `make restore [TARGET_TIME=...]`: restores the running stack's PostgreSQL (make cluster, else
# make dev; STACK_DIR picks one) from its pgBackRest repository, then has the persister replay
# from JetStream what the restored database lacks, so that no acked message is missing.
#
#   1. the persisters (and the backup loop) are stopped and held, then PostgreSQL;
#   2. its data directory is moved aside to data.before-restore (the previous one is deleted);
#   3. pgbackrest restore: the newest backup plus every archived WAL segment (the default: up to
#      the last archived segment, at most archive_timeout = 60 s behind), or up to TARGET_TIME
#      (any time PostgreSQL understands, e.g. '2026-12-07 21:50:00+00'), then promoted;
#   4. PostgreSQL starts (recovery), and once it accepts writes the persister's consumer is moved
#      back to PERSISTER_REPLAY_MARGIN_S (300) before the restored database's newest message
#      (persister/dist/replay-cli.js), and the persisters start again and replay.
# The stream's retention (NATS_STREAM_MAX_AGE_S, 7 days; NATS_STREAM_MAX_BYTES) bounds how far
# back the replay reaches: a restore older than the stream's first event leaves that gap lost
# (replay-cli says so: windowShort). Prints the time each step took.
set -euo pipefail
LOG_TAG=restore
# shellcheck source=scripts/stack-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"
find_stack
export STACK_DIR=$DIR
INSTANCE=("$ROOT/scripts/instance.sh")

started=$(date +%s.%N)
elapsed() { node -p "($(date +%s.%N) - $started).toFixed(1)"; }

[[ -f $ROOT/persister/dist/replay-cli.js ]] || die "persister/dist/replay-cli.js is missing: make build"
pgbr --output=json info | grep -q '"label"' || die "the repository has no backup yet: make backup first"

held=()
for name in backup $PERSISTERS; do
  [[ -f $DIR/pids/$name ]] || continue
  "${INSTANCE[@]}" stop "$name" >/dev/null
  held+=("$name")
done
"${INSTANCE[@]}" stop postgres >/dev/null
log "persisters and PostgreSQL stopped ($(elapsed) s)"

if [[ -e $PG_DIR/data ]]; then
  rm -rf "$PG_DIR/data.before-restore"
  mv "$PG_DIR/data" "$PG_DIR/data.before-restore"
  log "the old data directory is in $PG_DIR/data.before-restore"
fi
as_pg mkdir -m 700 "$PG_DIR/data"
target=(--type=default)
if [[ -n ${TARGET_TIME:-} ]]; then
  [[ ${#TARGET_TIME} -le 64 && $TARGET_TIME =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[T\ ][0-9:.]+(\ ?(Z|UTC|[+-][0-9:]+))?$ ]] ||
    die "TARGET_TIME must look like 2026-12-07 21:50:00+00 (got '$TARGET_TIME')"
  target=(--type=time "--target=$TARGET_TIME" --target-action=promote)
fi
pgbr "${target[@]}" restore || die "pgbackrest restore failed (log: $PG_DIR/pgbackrest/)"
log "restored the files: ${target[*]} ($(elapsed) s)"

RESTART_TIMEOUT_S=${RESTORE_TIMEOUT_S:-600} "${INSTANCE[@]}" start postgres >/dev/null
tries=0
until [[ $(psql_db -tAc 'select pg_is_in_recovery()' 2>/dev/null) == f ]]; do
  ((tries++ < 6000)) || die "PostgreSQL did not finish its recovery within 10 minutes (log: $DIR/log/postgres.log)"
  sleep 0.1
done
log "PostgreSQL is up and accepts writes ($(elapsed) s)"

replay=$(NATS_URL=$NATS_URL DATABASE_URL=$DATABASE_URL LOG_LEVEL=warn node "$ROOT/persister/dist/replay-cli.js") ||
  die "moving the persister's consumer back failed"
log "replay: $replay"
for name in "${held[@]}"; do "${INSTANCE[@]}" start "$name" >/dev/null; done
log "persisters started again: they replay the stream from there ($(elapsed) s in all)"
