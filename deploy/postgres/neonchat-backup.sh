#!/bin/sh
# neonchat-backup [--every SECONDS]: a full pgBackRest backup of the local PostgreSQL (stanza
# created first if missing), recorded in neonchat_ops.backups (the BackupTooOld alert reads it).
# With --every: a loop that backs up whenever the newest recorded full backup is older than
# SECONDS (the compose `backup` service, 86400). Runs as the postgres user.
set -eu
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -U neon -d neonchat"

prepare() {
  pgbackrest --stanza=neonchat stanza-create
  $PSQL -c "CREATE SCHEMA IF NOT EXISTS neonchat_ops;
    CREATE TABLE IF NOT EXISTS neonchat_ops.backups (kind text NOT NULL, label text NOT NULL, finished_at timestamptz NOT NULL DEFAULT now())"
}

backup() {
  pgbackrest --stanza=neonchat --type=full backup
  label=$(pgbackrest --stanza=neonchat --output=text info | sed -n 's/^ *full backup: *\([^ ]*\).*/\1/p' | tail -n1)
  $PSQL -c "INSERT INTO neonchat_ops.backups (kind, label) VALUES ('full', '${label:-unknown}')"
}

until pg_isready -q -h /var/run/postgresql -U neon -d neonchat; do sleep 2; done
prepare
if [ "${1:-}" = --every ]; then
  every=${2:?--every SECONDS}
  while :; do
    age=$($PSQL -tAc "SELECT coalesce(extract(epoch FROM now() - max(finished_at))::bigint, 1000000000) FROM neonchat_ops.backups WHERE kind = 'full'")
    if [ "$age" -ge "$every" ]; then backup || echo "neonchat-backup: the backup failed; trying again in a minute" >&2; fi
    sleep 60
  done
fi
backup
