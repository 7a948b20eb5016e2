#!/usr/bin/env bash
# `make compose-smoke`: docker-compose.yml run here with Debian's podman-compose, on the local
# images (scripts/images/build.sh for NeonChat's four on Node 24; scripts/images/servers.sh for
# the servers' stand-ins; deploy/podman/docker-compose.podman.yml points compose at them).
# Starts NATS x3, PostgreSQL (with pgBackRest archiving its WAL), Redis, PgBouncer, the
# PostgreSQL/Redis/blackbox exporters, the backup service, the migrations, api x2, gateway x2,
# persister x2, presence and the nginx balancer; sends messages through the balancer
# (test/images/stack-smoke-cli.ts) and checks they are delivered and stored (REST history);
# then checks the ops services: the api, gateways and presence are PgBouncer's clients, each
# exporter sees its server, the backup service recorded a full backup. Then takes the stack
# down with its volumes. Prometheus, Grafana, the OpenTelemetry collector and Jaeger are not
# started: their images cannot be pulled here and Debian has no package for three of them.
# podman-compose 1.0.3 starts services in dependency order but waits for no condition
# (service_healthy, service_completed_successfully): this script waits for each step itself.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROJECT=${COMPOSE_SMOKE_PROJECT:-neonchatsmoke}
MESSAGES=${COMPOSE_SMOKE_MESSAGES:-50}
SERVERS=(nats-1 nats-2 nats-3 postgres redis)
OPS=(pgbouncer postgres-exporter redis-exporter blackbox-exporter backup)
POOLED=(api gateway-1 gateway-2 presence)
PG_PASSWORD=${POSTGRES_PASSWORD:-neonchat}
APPS=(api gateway-1 gateway-2 persister presence)

started=$SECONDS
ensure_tools
"$IMAGES_DIR/build.sh"
"$IMAGES_DIR/servers.sh"
img_log "images ready in $((SECONDS - started)) s"

cd "$ROOT"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
JWT_SECRET=$(node -p 'require("crypto").randomBytes(32).toString("hex")')
API_PUBLISH_PORT=$(free_port)
GATEWAY_PUBLISH_PORT=$(free_port)
export JWT_SECRET API_PUBLISH_PORT GATEWAY_PUBLISH_PORT

# podman-compose's own output: in $CACHE/compose-smoke.log. It brings a service's dependencies
# up with it even with --no-deps (1.0.3), so each step after the first logs "name already in
# use" for those already running, then starts them (a no-op).
COMPOSE_LOG=$CACHE/compose-smoke.log
mkdir -p "$CACHE"
: >"$COMPOSE_LOG"
# docker-compose.yml as podman-compose 1.0.3 reads it (the balancer's `networks` mapping as a
# list, paths made absolute: scripts/images/compose-for-podman.py), then the overrides.
FLAT=$CACHE/docker-compose.for-podman.yml
python3 "$IMAGES_DIR/compose-for-podman.py" docker-compose.yml >"$FLAT"
compose() { podman-compose -p "$PROJECT" -f "$FLAT" -f "$ROOT/deploy/podman/docker-compose.podman.yml" "$@" >>"$COMPOSE_LOG" 2>&1; }
containers_of() { podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'; }
down() {
  local status=$?
  if ((status != 0)); then
    for c in $(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'); do
      printf '\n--- %s (%s)\n' "$c" "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$c")" >&2
      podman logs --tail 15 "$c" 2>&1 | cut -c1-400 >&2 || true
    done
  fi
  img_log "taking the stack down"
  compose down -v -t 15 || true
  podman volume ls --filter "label=io.podman.compose.project=$PROJECT" -q | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  exit "$status"
}
trap down EXIT
trap 'exit 143' TERM INT

first_of() { containers_of "$1" | head -n 1; }
# sql HOST PORT DB QUERY: psql in the postgres container, to PostgreSQL (HOST /var/run/postgresql)
# or through PgBouncer (pgbouncer 6432) over the compose network; unaligned rows, `|` between fields.
sql() {
  podman exec -e PGPASSWORD="$PG_PASSWORD" "$(first_of postgres)" \
    psql -X -q -tA -v ON_ERROR_STOP=1 -h "$1" -p "$2" -U neon -d "$3" -c "$4"
}
wait_pgbouncer() {
  local deadline=$((SECONDS + 60))
  until [[ $(sql pgbouncer 6432 neonchat 'SELECT 1' 2>/dev/null) == 1 ]]; do
    ((SECONDS < deadline)) || img_die "PgBouncer does not answer a query on pgbouncer:6432 after 60 s"
    sleep 1
  done
}
# metrics URL: the page, fetched from inside an api container (Node's fetch; the compose network).
metrics() {
  podman exec "$(first_of api)" node -e \
    'fetch(process.argv[1]).then(async (r) => { if (!r.ok) process.exit(1); process.stdout.write(await r.text()); }, () => process.exit(1))' "$1"
}
# admin QUERY COLUMN: COLUMN of the rows of PgBouncer's admin console QUERY (SHOW ...) whose
# database is neonchat (columns found by name: they differ between PgBouncer versions).
admin() {
  podman exec -e PGPASSWORD="$PG_PASSWORD" "$(first_of postgres)" \
    psql -X -q -A -h pgbouncer -p 6432 -U neon -d pgbouncer -c "$1" |
    awk -F'|' -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
      col["database"] && $col["database"] == "neonchat" { print $col[want] }'
}
# check_ops: the pooled services are configured to PgBouncer and it carried their transactions;
# each exporter sees its server; a full backup is recorded (neonchat-backup in the backup
# service; waited for up to 180 s).
check_ops() {
  local service c url xacts clients names=() deadline
  for service in "${POOLED[@]}"; do
    for c in $(containers_of "$service"); do
      url=$(podman exec "$c" printenv DATABASE_URL)
      [[ $url == *@pgbouncer:6432/neonchat ]] || img_die "$c does not go through PgBouncer (DATABASE_URL host: ${url##*@})"
      names+=("$c")
    done
  done
  xacts=$(admin 'SHOW STATS' total_xact_count)
  ((${xacts:-0} > 0)) || img_die "PgBouncer carried no transaction to neonchat"
  clients=$(admin 'SHOW CLIENTS' addr | sort -u | tr '\n' ' ')
  img_log "through PgBouncer: ${names[*]}; $xacts transactions to neonchat; clients now: ${clients:-none}"
  metrics http://postgres-exporter:9187/metrics | grep -qx 'pg_up 1' || img_die "postgres-exporter: no pg_up 1"
  metrics http://redis-exporter:9121/metrics | grep -qx 'redis_up 1' || img_die "redis-exporter: no redis_up 1"
  for c in nats-1 nats-2 nats-3; do
    metrics "http://blackbox-exporter:9115/probe?module=nats_healthz&target=http://$c:8222/healthz%3Fjs-enabled-only%3Dtrue" |
      grep -qx 'probe_success 1' || img_die "blackbox-exporter: $c's /healthz probe failed"
  done
  img_log "exporters: pg_up 1, redis_up 1, probe_success 1 for nats-1..3"
  deadline=$((SECONDS + 180))
  until [[ $(sql /var/run/postgresql 5432 neonchat "SELECT count(*) FROM neonchat_ops.backups WHERE kind = 'full'" 2>/dev/null) -ge 1 ]]; do
    ((SECONDS < deadline)) || img_die "no full backup recorded in neonchat_ops.backups after 180 s"
    sleep 3
  done
  img_log "backup: $(sql /var/run/postgresql 5432 neonchat "SELECT label FROM neonchat_ops.backups ORDER BY finished_at DESC LIMIT 1") recorded;" \
    "WAL archived: $(sql /var/run/postgresql 5432 neonchat 'SELECT archived_count FROM pg_stat_archiver') segments"
}

# wait_healthy SERVICE...: every container of each service passes its healthcheck (podman runs
# healthchecks from systemd timers, absent here, so they are run from this loop).
wait_healthy() {
  local service c deadline=$((SECONDS + 180))
  for service in "$@"; do
    for c in $(containers_of "$service"); do
      until podman healthcheck run "$c" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || img_die "$c is not healthy after 180 s"
        sleep 2
      done
    done
  done
}

img_log "compose: servers (${SERVERS[*]})"
compose up -d --no-build "${SERVERS[@]}"
wait_healthy "${SERVERS[@]}"
img_log "compose: ops (${OPS[*]})"
compose up -d --no-build --no-deps "${OPS[@]}"
wait_pgbouncer
img_log "compose: migrations"
compose up -d --no-build --no-deps migrate
code=$(podman wait "$(containers_of migrate)")
((code == 0)) || img_die "the migrations exited with $code"
img_log "compose: services (${APPS[*]})"
compose up -d --no-build --no-deps "${APPS[@]}"
wait_healthy "${APPS[@]}"
compose up -d --no-build --no-deps lb
deadline=$((SECONDS + 60))
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PUBLISH_PORT/readyz") == 200 ]]; do
  ((SECONDS < deadline)) || img_die "the balancer does not answer /readyz on $API_PUBLISH_PORT"
  sleep 1
done
img_log "compose: up in $((SECONDS - started)) s: $(podman ps --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' | wc -l) containers"
podman logs "$(containers_of gateway-1)" 2>&1 | grep -o 'uWebSockets.js [^"]*' | head -n 1 >&2 || true

npx tsx test/images/stack-smoke-cli.ts "http://127.0.0.1:$API_PUBLISH_PORT/api/v1" "ws://127.0.0.1:$GATEWAY_PUBLISH_PORT/ws" "$MESSAGES"
check_ops
img_log "compose smoke passed in $((SECONDS - started)) s"
