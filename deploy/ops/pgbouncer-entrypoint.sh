#!/bin/sh
# Writes PgBouncer's userlist from POSTGRES_PASSWORD (never baked into an image or a file in
# the repository), then runs pgbouncer with the mounted pgbouncer.ini.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
umask 077
printf '"neon" "%s"\n' "$POSTGRES_PASSWORD" >/tmp/userlist.txt
exec pgbouncer "${PGBOUNCER_INI:-/etc/pgbouncer/pgbouncer.ini}"
