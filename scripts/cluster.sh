#!/usr/bin/env bash
# `make cluster`: NeonChat scaled out on this machine, in the foreground, from Debian packages.
#
#   3 nats-server nodes clustered with JetStream (streams at R3), PostgreSQL, Redis,
#   2 gateways and 2 api instances behind HAProxy (leastconn, health-checked on /readyz,
#   WebSocket upgrade; no stickiness: a client resumes from its last seq on any gateway),
#   2 persisters, 1 presence, and Prometheus scraping every instance with the alert rules of
#   deploy/prometheus/alerts.yml.
#
# Everything listens on 127.0.0.1, in a block of ports from CLUSTER_PORT_BASE (24000); the data
# and the logs (JSON lines, one file per instance) are under .cluster/. Ctrl-C (or SIGTERM)
# (once or more) stops everything in reverse order. An instance that exits (or is killed) is
# started again with a back-off (1 s, doubling to 30 s), as a supervisor would, and the rest keep
# running: that is what the cluster is for. One instance is stopped, held or restarted by name
# with scripts/instance.sh (`make cluster-restart NAME=gateway-2`, `cluster-stop`, `cluster-start`).
# Logs are rotated by size (LOG_ROTATE_MB, default 20; LOG_ROTATE_KEEP copies, default 3).
# `make clean-cluster` deletes the data.
#
# Settings (environment, or .env at the root):
#   CLUSTER_PORT_BASE=24000   first port of the block (the layout is printed at start)
#   CLUSTER_DIR=.cluster      data, logs and pids (pids/NAME holds each instance's pid)
#   CLUSTER_SCRAPE_INTERVAL=2s   Prometheus scrape and rule evaluation interval
#   CLUSTER_SKIP_DEPS=1       skip scripts/deps.sh
#   NATS_GOMAXPROCS=1 NATS_GOGC=400   Go runtime of each nats-server node (they share the cores)
#   PERSISTER_ACK_WAIT_S (10 here), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT, ...: passed on
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TAG=cluster
PG_DB=neonchat
PG_USER=neon
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
load_dotenv
DATA=$(mkdir -p "${CLUSTER_DIR:-$ROOT/.cluster}" && cd "${CLUSTER_DIR:-$ROOT/.cluster}" && pwd)
install_stop_traps

BASE=${CLUSTER_PORT_BASE:-24000}
[[ $BASE =~ ^[0-9]+$ ]] && ((BASE >= 1024 && BASE <= 65000)) || die "CLUSTER_PORT_BASE must be a port between 1024 and 65000"
SCRAPE=${CLUSTER_SCRAPE_INTERVAL:-2s}
nats_go_env

# The port block.
LB_API=$BASE LB_WS=$((BASE + 1)) LB_STATS=$((BASE + 2))
NATS_CLIENT=($((BASE + 10)) $((BASE + 11)) $((BASE + 12)))
NATS_ROUTE=($((BASE + 20)) $((BASE + 21)) $((BASE + 22)))
NATS_MONITOR=($((BASE + 30)) $((BASE + 31)) $((BASE + 32)))
PG_PORT=$((BASE + 40)) REDIS_PORT=$((BASE + 41)) PROM_PORT=$((BASE + 42))
PG_EXPORTER=$((BASE + 43)) REDIS_EXPORTER=$((BASE + 44)) BLACKBOX=$((BASE + 45)) PGBOUNCER_PORT=$((BASE + 46))
API_PORTS=($((BASE + 50)) $((BASE + 51)))
GATEWAY_PORTS=($((BASE + 60)) $((BASE + 61)))
GATEWAY_OPS=($((BASE + 70)) $((BASE + 71)))
PERSISTER_OPS=($((BASE + 80)) $((BASE + 81)))
PRESENCE_OPS=$((BASE + 90))

ports=("$LB_API=HAProxy (api)" "$LB_WS=HAProxy (WebSocket)" "$LB_STATS=HAProxy (stats)"
  "$PG_PORT=PostgreSQL" "$REDIS_PORT=Redis" "$PROM_PORT=Prometheus" "$PRESENCE_OPS=presence"
  "$PG_EXPORTER=postgres-exporter" "$REDIS_EXPORTER=redis-exporter" "$BLACKBOX=blackbox-exporter" "$PGBOUNCER_PORT=PgBouncer")
for i in 0 1 2; do
  ports+=("${NATS_CLIENT[i]}=nats-$((i + 1))" "${NATS_ROUTE[i]}=nats-$((i + 1)) routes" "${NATS_MONITOR[i]}=nats-$((i + 1)) monitor")
done
for i in 0 1; do
  ports+=("${API_PORTS[i]}=api-$((i + 1))" "${GATEWAY_PORTS[i]}=gateway-$((i + 1))"
    "${GATEWAY_OPS[i]}=gateway-$((i + 1)) ops" "${PERSISTER_OPS[i]}=persister-$((i + 1))")
done
check_ports "${ports[@]}"

[[ ${CLUSTER_SKIP_DEPS:-0} == 1 ]] || "$ROOT/scripts/deps.sh"
require_built api gateway persister presence
HAPROXY=$(find_binary haproxy)
PROMETHEUS=$(find_binary prometheus)
PG_EXPORTER_BIN=$(find_binary prometheus-postgres-exporter)
REDIS_EXPORTER_BIN=$(find_binary prometheus-redis-exporter)
BLACKBOX_BIN=$(find_binary prometheus-blackbox-exporter)
PGBOUNCER_BIN=$(find_binary pgbouncer)
mkdir -p "$DATA/log"
rm -f "$DATA/ready"

ensure_jwt_secret
nats_urls=()
for p in "${NATS_CLIENT[@]}"; do nats_urls+=("nats://127.0.0.1:$p"); done
NATS_URL=$(IFS=,; echo "${nats_urls[*]}")
export NATS_URL NATS_STREAM_REPLICAS=3
export DATABASE_URL=postgres://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB
# api, gateways and presence go through PgBouncer (transaction pooling), as in compose and
# Kubernetes; the persisters and the migrations go to PostgreSQL directly (deploy/README.md).
POOLED_DATABASE_URL=postgres://$PG_USER@127.0.0.1:$PGBOUNCER_PORT/$PG_DB
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export NODE_ENV=${NODE_ENV:-production} LOG_LEVEL=${LOG_LEVEL:-info}
export PERSISTER_ACK_WAIT_S=${PERSISTER_ACK_WAIT_S:-10}
PERSISTERS="persister-1 persister-2" API_URL=http://127.0.0.1:$LB_API/api/v1 WS_URL=ws://127.0.0.1:$LB_WS/ws
# NODE_ENV=production refuses the development secret only if it is weak; ours is random.

# --- NATS: three nodes, one JetStream cluster ----------------------------------------------
# start_nats_node I: node I+1 (0-based I), not waited for.
start_nats_node() {
  local i=$1 routes=() p name=nats-$(($1 + 1))
  for p in "${NATS_ROUTE[@]}"; do routes+=("nats://127.0.0.1:$p"); done
  mkdir -p "$DATA/$name"
  start_server "$name" TERM env "GOMAXPROCS=$NATS_GOMAXPROCS" "GOGC=$NATS_GOGC" \
    "$(find_binary nats-server)" -js -n "$name" -a 127.0.0.1 \
    -p "${NATS_CLIENT[i]}" -m "${NATS_MONITOR[i]}" -sd "$DATA/$name" \
    --cluster_name neonchat --cluster "nats://127.0.0.1:${NATS_ROUTE[i]}" \
    --routes "$(IFS=,; echo "${routes[*]}")"
}

# Healthy once JetStream is up and the meta group has a leader (needs a quorum of nodes).
wait_nats_node() {
  wait_ready "nats-$(($1 + 1))" "$(pid_of "nats-$(($1 + 1))")" http_ok "http://127.0.0.1:${NATS_MONITOR[$1]}/healthz"
}

# restart_nats_node I: a node started again (by supervise) rejoins the running two.
restart_nats_node() { start_nats_node "$1" && wait_nats_node "$1"; }

start_nats_cluster() {
  local i
  for i in 0 1 2; do managed "nats-$((i + 1))" start_nats_node "$i"; STARTER[nats-$((i + 1))]="restart_nats_node $i"; done
  for i in 0 1 2; do wait_nats_node "$i"; done
}

# --- HAProxy -------------------------------------------------------------------------------
write_haproxy_cfg() {
  local i
  {
    cat <<CFG
# Generated by scripts/cluster.sh. A client may land on any gateway: it resumes from its
# last seq (JetStream holds the events), so no stickiness is configured.
global
  # Each connection takes two descriptors; keep within a default ulimit -n.
  maxconn 4000

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # An upgraded WebSocket is a tunnel; the gateway pings well within this.
  timeout tunnel 1h
  option redispatch
  retries 2
  default-server check inter 1s fall 2 rise 2

frontend api
  bind 127.0.0.1:$LB_API
  # X-Forwarded-For: the api trusts it from 127.0.0.1 only (API_TRUSTED_PROXIES).
  option forwardfor
  default_backend api

backend api
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
CFG
    for i in 0 1; do echo "  server api-$((i + 1)) 127.0.0.1:${API_PORTS[i]}"; done
    cat <<CFG

frontend ws
  bind 127.0.0.1:$LB_WS
  option forwardfor
  default_backend gateway

backend gateway
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
CFG
    for i in 0 1; do echo "  server gateway-$((i + 1)) 127.0.0.1:${GATEWAY_PORTS[i]} port ${GATEWAY_OPS[i]}"; done
    cat <<CFG

frontend stats
  bind 127.0.0.1:$LB_STATS
  http-request use-service prometheus-exporter if { path /metrics }
  stats enable
  stats uri /
  stats refresh 5s
CFG
  } >"$DATA/haproxy.cfg"
}

# --- Prometheus ----------------------------------------------------------------------------
write_prometheus_yml() {
  local target
  target() { printf "      - targets: ['127.0.0.1:%s']\n        labels: { instance: %s }\n" "$1" "$2"; }
  {
    cat <<YML
# Generated by scripts/cluster.sh: every instance of the cluster, one target each, named.
global:
  scrape_interval: $SCRAPE
  evaluation_interval: $SCRAPE

rule_files:
  - $ROOT/deploy/prometheus/alerts.yml

scrape_configs:
  - job_name: api
    static_configs:
YML
    target "${API_PORTS[0]}" api-1
    target "${API_PORTS[1]}" api-2
    printf '  - job_name: gateway\n    static_configs:\n'
    target "${GATEWAY_OPS[0]}" gateway-1
    target "${GATEWAY_OPS[1]}" gateway-2
    printf '  - job_name: persister\n    static_configs:\n'
    target "${PERSISTER_OPS[0]}" persister-1
    target "${PERSISTER_OPS[1]}" persister-2
    printf '  - job_name: presence\n    static_configs:\n'
    target "$PRESENCE_OPS" presence-1
    printf '  - job_name: haproxy\n    static_configs:\n'
    target "$LB_STATS" haproxy
    printf '  - job_name: prometheus\n    static_configs:\n'
    target "$PROM_PORT" prometheus
    printf '  - job_name: postgres\n    static_configs:\n'
    target "$PG_EXPORTER" postgres
    printf '  - job_name: redis\n    static_configs:\n'
    target "$REDIS_EXPORTER" redis
    # Each NATS node's /healthz through the blackbox exporter: the target is the probed URL,
    # the address scraped is the exporter's.
    printf '  - job_name: nats\n    metrics_path: /probe\n    params: { module: [nats_healthz] }\n    static_configs:\n'
    for i in 0 1 2; do
      printf "      - targets: ['127.0.0.1:%s']\n        labels: { instance: nats-%s, __param_target: 'http://127.0.0.1:%s/healthz?js-enabled-only=true' }\n" \
        "$BLACKBOX" "$((i + 1))" "${NATS_MONITOR[i]}"
    done
  } >"$DATA/prometheus.yml"
}

# --- start ---------------------------------------------------------------------------------
say "nats       3 nodes, JetStream cluster 'neonchat'"
start_nats_cluster
managed postgres start_postgres "$PG_PORT"
setup_backups "$PG_PORT"
managed redis start_redis redis "$REDIS_PORT"

# PgBouncer: the settings of deploy/pgbouncer/pgbouncer.ini, here with trust (as PostgreSQL here).
start_pgbouncer() {
  cat >"$PG_DIR/pgbouncer.ini" <<INI
; Generated by scripts/cluster.sh from the settings of deploy/pgbouncer/pgbouncer.ini.
[databases]
$PG_DB = host=127.0.0.1 port=$PG_PORT dbname=$PG_DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PG_DIR/pgbouncer-users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
reserve_pool_size = 5
reserve_pool_timeout = 3
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
INI
  printf '"%s" ""\n' "$PG_USER" >"$PG_DIR/pgbouncer-users.txt"
  [[ -z $PG_OS_USER ]] || chown "$PG_OS_USER:" "$PG_DIR/pgbouncer.ini" "$PG_DIR/pgbouncer-users.txt"
  # PgBouncer refuses to run as root: as PostgreSQL's user.
  start_server pgbouncer INT "${PG_AS_USER[@]}" "$PGBOUNCER_BIN" "$PG_DIR/pgbouncer.ini"
  wait_ready pgbouncer "$(pid_of pgbouncer)" port_in_use "$PGBOUNCER_PORT"
}
managed pgbouncer start_pgbouncer
migrate_and_provision
write_stack_env NATS_URL DATABASE_URL PG_PORT PERSISTERS API_URL WS_URL

for i in 0 1; do
  managed "persister-$((i + 1))" start_service "persister-$((i + 1))" persister "" INSTANCE_ID="persister-$((i + 1))" \
    PERSISTER_METRICS_PORT="${PERSISTER_OPS[i]}"
done
managed presence-1 start_service presence-1 presence "" INSTANCE_ID=presence-1 PRESENCE_METRICS_PORT="$PRESENCE_OPS" \
  DATABASE_URL="$POOLED_DATABASE_URL"
# gateway-1 as one process, gateway-2 as two workers on its port: both shapes behind the
# balancer (GATEWAY_WORKERS, when set, applies to both).
for i in 0 1; do
  managed "gateway-$((i + 1))" start_service "gateway-$((i + 1))" gateway "" INSTANCE_ID="gateway-$((i + 1))" GATEWAY_ID="gateway-$((i + 1))" DATABASE_URL="$POOLED_DATABASE_URL" \
    GATEWAY_WORKERS="${GATEWAY_WORKERS:-$((i + 1))}" GATEWAY_PORT="${GATEWAY_PORTS[i]}" GATEWAY_METRICS_PORT="${GATEWAY_OPS[i]}"
done
for i in 0 1; do
  managed "api-$((i + 1))" start_service "api-$((i + 1))" api "" INSTANCE_ID="api-$((i + 1))" API_PORT="${API_PORTS[i]}" \
    DATABASE_URL="$POOLED_DATABASE_URL" \
    API_TRUSTED_PROXIES=127.0.0.1 WEB_WS_URL="ws://127.0.0.1:$LB_WS/ws"
done
for i in 0 1; do
  wait_ready "persister-$((i + 1))" "$(pid_of "persister-$((i + 1))")" http_ok "http://127.0.0.1:${PERSISTER_OPS[i]}/readyz"
  wait_ready "gateway-$((i + 1))" "$(pid_of "gateway-$((i + 1))")" http_ok "http://127.0.0.1:${GATEWAY_OPS[i]}/readyz"
  wait_ready "api-$((i + 1))" "$(pid_of "api-$((i + 1))")" http_ok "http://127.0.0.1:${API_PORTS[i]}/readyz"
done
wait_ready presence-1 "$(pid_of presence-1)" http_ok "http://127.0.0.1:$PRESENCE_OPS/readyz"

write_haproxy_cfg
"$HAPROXY" -c -q -f "$DATA/haproxy.cfg" || die "haproxy.cfg is invalid ($DATA/haproxy.cfg)"
start_haproxy() {
  start_server haproxy TERM "$HAPROXY" -db -f "$DATA/haproxy.cfg"
  wait_ready haproxy "$(pid_of haproxy)" http_ok "http://127.0.0.1:$LB_STATS/"
}
managed haproxy start_haproxy
wait_ready haproxy "$(pid_of haproxy)" http_ok "http://127.0.0.1:$LB_API/readyz"

# --- the servers' exporters, and the daily backup -------------------------------------------
start_pg_exporter() {
  start_server postgres-exporter TERM env \
    "DATA_SOURCE_NAME=postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable" \
    "$PG_EXPORTER_BIN" --web.listen-address="127.0.0.1:$PG_EXPORTER" \
    --extend.query-path="$ROOT/deploy/prometheus/postgres-exporter-queries.yml"
}
start_redis_exporter() {
  start_server redis-exporter TERM "$REDIS_EXPORTER_BIN" -redis.addr "redis://127.0.0.1:$REDIS_PORT" \
    -web.listen-address "127.0.0.1:$REDIS_EXPORTER"
}
start_blackbox() {
  start_server blackbox-exporter TERM "$BLACKBOX_BIN" --config.file="$ROOT/deploy/prometheus/blackbox.yml" \
    --web.listen-address="127.0.0.1:$BLACKBOX"
}
managed postgres-exporter start_pg_exporter
managed redis-exporter start_redis_exporter
managed blackbox-exporter start_blackbox
# A full backup at once when the newest is a day old (or there is none), then daily.
managed backup start_server backup TERM env "STACK_DIR=$DATA" "$ROOT/scripts/backup.sh" --every "${BACKUP_INTERVAL_S:-86400}"
wait_ready postgres-exporter "$(pid_of postgres-exporter)" http_ok "http://127.0.0.1:$PG_EXPORTER/metrics"
wait_ready redis-exporter "$(pid_of redis-exporter)" http_ok "http://127.0.0.1:$REDIS_EXPORTER/metrics"
wait_ready blackbox-exporter "$(pid_of blackbox-exporter)" http_ok "http://127.0.0.1:$BLACKBOX/metrics"

write_prometheus_yml
mkdir -p "$DATA/prometheus"
start_prometheus() {
  start_server prometheus TERM "$PROMETHEUS" --config.file="$DATA/prometheus.yml" \
    --storage.tsdb.path="$DATA/prometheus" --web.listen-address="127.0.0.1:$PROM_PORT" \
    --storage.tsdb.retention.time=2d
  wait_ready prometheus "$(pid_of prometheus)" http_ok "http://127.0.0.1:$PROM_PORT/-/ready"
}
managed prometheus start_prometheus

cat <<EOT

  NeonChat cluster is running. Ctrl-C stops everything.
    Web client (HAProxy) http://127.0.0.1:$LB_API/
    API (HAProxy)        http://127.0.0.1:$LB_API/api/v1      docs: /docs
    WebSocket (HAProxy)  ws://127.0.0.1:$LB_WS/ws?token=<JWT>
    HAProxy stats        http://127.0.0.1:$LB_STATS/   (Prometheus format: /metrics)
    Prometheus           http://127.0.0.1:$PROM_PORT/   (alerts: /alerts)
    NATS                 $NATS_URL   (monitor: ${NATS_MONITOR[*]})
    PostgreSQL           $DATABASE_URL   (PgBouncer: $POOLED_DATABASE_URL)
    Redis                $REDIS_URL
    instances            api-1 :${API_PORTS[0]}  api-2 :${API_PORTS[1]}  gateway-1 :${GATEWAY_PORTS[0]} (ops :${GATEWAY_OPS[0]})  gateway-2 :${GATEWAY_PORTS[1]} (ops :${GATEWAY_OPS[1]})
                         persister-1 ops :${PERSISTER_OPS[0]}  persister-2 ops :${PERSISTER_OPS[1]}  presence-1 ops :$PRESENCE_OPS
    logs                 $DATA/log/NAME.log (JSON; readable: npx pino-pretty < $DATA/log/api-1.log)
    pids                 $DATA/pids/NAME

EOT
printf '%s\n' "$BASE" >"$DATA/ready"

# Until Ctrl-C: an instance that exits is started again (scripts/lib.sh, supervise).
supervise
