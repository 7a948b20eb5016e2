# Local stand-ins for the server images docker-compose.yml pulls (nats:2.10-alpine,
# postgres:15, redis:7, nginx:1.27-alpine), which cannot be pulled on a machine that reaches
# only Debian's and npm's package registries. Each is Debian trixie's package on NeonChat's
# local base image (scripts/images/base-image.sh), made to behave as the upstream image does
# for what docker-compose.yml uses: the entry point, the healthcheck's tool, the environment.
# (postgres: the base of deploy/postgres/Dockerfile here.) Built by scripts/images/servers.sh; docker-compose.podman.yml points compose at them.

ARG BASE_IMAGE=localhost/neonchat-node:24-trixie

FROM ${BASE_IMAGE} AS apt
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q && rm -rf /var/cache/apt/*.bin

# nats: the command line of docker-compose.yml; wget for its healthcheck.
FROM apt AS nats
RUN apt-get install -y -q --no-install-recommends nats-server wget && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["nats-server"]

# postgres-base: initialises the data directory on first start from POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB, listens on every address with scram-sha-256, runs another
# command as it is, as the upstream image does. deploy/postgres/Dockerfile (pgBackRest) is
# built on it as neonchat-postgres:local (scripts/images/servers.sh).
FROM apt AS postgres-base
RUN apt-get install -y -q --no-install-recommends postgresql && rm -rf /var/lib/apt/lists/*
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]

# redis: `redis-server ...` as the command; unprotected like the upstream image without a
# config file (the compose network is its only way in); redis-cli for the healthcheck.
FROM apt AS redis
RUN apt-get install -y -q --no-install-recommends redis-server redis-tools && rm -rf /var/lib/apt/lists/*
COPY redis-entrypoint.sh /usr/local/bin/redis-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/redis-entrypoint.sh"]
CMD ["redis-server"]

# nginx: the balancer's nginx.conf is mounted over Debian's.
FROM apt AS nginx
RUN apt-get install -y -q --no-install-recommends nginx-light 2>/dev/null || apt-get install -y -q --no-install-recommends nginx; \
  rm -rf /var/lib/apt/lists/*
STOPSIGNAL SIGQUIT
ENTRYPOINT ["nginx", "-g", "daemon off;"]
