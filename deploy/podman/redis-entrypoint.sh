#!/bin/sh
# As the upstream redis image without a config file: reachable from the other containers.
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  exec redis-server "$@" --protected-mode no
fi
exec "$@"
