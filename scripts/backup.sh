#!/usr/bin/env bash
# `make backup`: a pgBackRest backup of the running stack's PostgreSQL (make cluster, else make
# dev; STACK_DIR picks one), into its repository ($PG_DIR/backup), recorded in
# neonchat_ops.backups (what the BackupTooOld alert reads). WAL is archived continuously besides
# (archive_command, archive_timeout 60 s): a backup plus the archive restores to any point after it.
#
#   BACKUP_TYPE=full (default) | diff | incr
#   scripts/backup.sh --every SECONDS   a loop (make cluster runs one): a full backup whenever the
#                                       newest recorded one is older than SECONDS, checked each minute
set -euo pipefail
LOG_TAG=backup
# shellcheck source=scripts/stack-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"
find_stack

backup_once() {
  local type=${1:-${BACKUP_TYPE:-full}} started label
  [[ $type =~ ^(full|diff|incr)$ ]] || die "BACKUP_TYPE must be full, diff or incr (got '$type')"
  started=$(date +%s.%N)
  log "$type backup of $DIR (repository $PG_DIR/backup)"
  pgbr --type="$type" backup || die "pgbackrest backup failed (log: $PG_DIR/pgbackrest/)"
  label=$(pgbr --output=json info | node -e '
    const info = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const backups = info[0]?.backup ?? [];
    process.stdout.write(backups.length ? backups[backups.length - 1].label : "");')
  psql_db -c "INSERT INTO neonchat_ops.backups (kind, label) VALUES ('$type', '$label')" >/dev/null
  log "done: $label in $(node -p "($(date +%s.%N) - $started).toFixed(1)") s"
}

newest_full_age() {
  psql_db -tAc "SELECT coalesce(extract(epoch FROM now() - max(finished_at))::bigint, 1e9::bigint) FROM neonchat_ops.backups WHERE kind = 'full'"
}

if [[ ${1:-} == --every ]]; then
  every=${2:?--every SECONDS}
  [[ $every =~ ^[0-9]+$ ]] && ((every >= 60)) || die "--every takes seconds, at least 60"
  trap 'exit 0' TERM INT
  while :; do
    age=$(newest_full_age 2>/dev/null || echo -1)
    if [[ $age =~ ^[0-9]+$ ]] && ((age >= every)); then (backup_once full) || log "the backup failed; trying again in a minute"; fi
    sleep 60 &
    wait $! || true
  done
fi
backup_once "${BACKUP_TYPE:-full}"
