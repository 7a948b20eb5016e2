#!/usr/bin/env bash
# Installs what NeonChat needs and builds it. Safe to run again: each step is skipped when it
# is already done.
#   1. nats-server, redis-server and PostgreSQL from apt (Debian/Ubuntu), if any is missing;
#   1b. pgbackrest (WAL archiving, make backup / make restore);
#   2. haproxy and prometheus (with promtool), prometheus-postgres-exporter,
#      prometheus-redis-exporter, prometheus-blackbox-exporter and pgbouncer for `make cluster`
#      and its tests; kubectl
#      (Debian's kubernetes-client) and docker-compose for `make check-deploy`; Chromium
#      (Debian's `chromium`) for the web client's browser tests; each only if missing;
#   3. `npm ci` when node_modules is missing or older than package-lock.json;
#   4. `npm run build`.
# The system services that the apt packages come with are not started here: `make dev` and
# the tests run their own servers on their own ports and data dirs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=()
((EUID == 0)) || SUDO=(sudo)
POLICY_RC=""  # a policy-rc.d this script created, removed on exit

log() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] error: %s\n' "$*" >&2; exit 1; }

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }
have_binary() { command -v "$1" >/dev/null || [[ -x /usr/sbin/$1 || -x /usr/bin/$1 ]]; }

install_servers() {
  local missing=()
  have_binary nats-server || missing+=(nats-server)
  have_binary redis-server || missing+=(redis-server)
  have_postgres || missing+=(postgresql)
  # WAL archiving and make backup / make restore (both stacks).
  have_binary pgbackrest || missing+=(pgbackrest)
  if ((${#missing[@]} == 0)); then
    log "servers: nats-server, redis-server, PostgreSQL and pgbackrest are installed"
    return
  fi
  log "servers: installing ${missing[*]} with apt-get"
  apt_install "${missing[@]}"
  if ! { have_binary nats-server && have_binary redis-server && have_postgres && have_binary pgbackrest; }; then
    die "the servers are still missing after apt-get install"
  fi
}

# The tools of the scaled-out layout: HAProxy, Prometheus (promtool comes with it), kubectl.
install_cluster_tools() {
  local missing=()
  have_binary haproxy || missing+=(haproxy)
  have_binary prometheus && have_binary promtool || missing+=(prometheus)
  have_binary kubectl || missing+=(kubernetes-client)
  # The servers' exporters (make cluster) and the pooler (its tests).
  have_binary prometheus-postgres-exporter || missing+=(prometheus-postgres-exporter)
  have_binary prometheus-redis-exporter || missing+=(prometheus-redis-exporter)
  have_binary prometheus-blackbox-exporter || missing+=(prometheus-blackbox-exporter)
  have_binary pgbouncer || missing+=(pgbouncer)
  # `make check-deploy` validates docker-compose.yml; Debian's docker-compose does when the
  # Docker CLI has no compose plugin.
  { docker compose version >/dev/null 2>&1 || have_binary docker-compose; } || missing+=(docker-compose)
  if ((${#missing[@]} == 0)); then
    log "cluster tools: haproxy, prometheus, promtool, kubectl, compose, the exporters and pgbouncer are installed"
    return
  fi
  log "cluster tools: installing ${missing[*]} with apt-get"
  apt_install "${missing[@]}"
  have_binary haproxy && have_binary prometheus && have_binary promtool ||
    die "haproxy or prometheus is still missing after apt-get install"
}

APT_UPDATED=0
# apt_install PACKAGE...: without starting the services they come with.
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* yourself"
  if ((${#SUDO[@]})) && ! command -v sudo >/dev/null; then
    die "not root and sudo is missing: run this script as root"
  fi

  # Keep the packages' own services (redis on 6379, a PostgreSQL cluster on 5432, prometheus
  # on 9090, haproxy) from being started, unless the machine already has a policy about it.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    POLICY_RC=/usr/sbin/policy-rc.d
    trap remove_policy_rc EXIT
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY_RC" >/dev/null
    "${SUDO[@]}" chmod +x "$POLICY_RC"
  fi

  if ((APT_UPDATED == 0)); then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    APT_UPDATED=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  remove_policy_rc
  POLICY_RC=""
}

# The browser tests (web/test) drive Debian's chromium through playwright-core, which
# downloads no browser of its own.
install_chromium() {
  if have_binary chromium; then
    log "chromium: installed"
    return
  fi
  log "chromium: installing with apt-get"
  apt_install chromium
  [[ -x /usr/bin/chromium ]] || die "chromium is still missing after apt-get install"
}

remove_policy_rc() { [[ -z $POLICY_RC ]] || "${SUDO[@]}" rm -f "$POLICY_RC"; }

install_node_modules() {
  command -v npm >/dev/null || die "node and npm are required (Node 20, see .nvmrc)"
  if [[ ! -f node_modules/.package-lock.json ]]; then
    log "npm: node_modules missing: npm ci"
  elif [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "npm: package-lock.json changed: npm ci"
  else
    log "npm: node_modules up to date"
    return
  fi
  npm ci --no-audit --no-fund
}

install_servers
install_cluster_tools
install_chromium
install_node_modules
log "build: npm run build"
npm run build --silent
log "done"
