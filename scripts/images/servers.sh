#!/usr/bin/env bash
# Builds the server images docker-compose.yml uses, here where no image can be pulled:
# - local stand-ins for the upstream images it pulls (nats, postgres, redis, nginx;
#   deploy/podman/servers.Dockerfile) on the local base image:
#     localhost/neonchat-{nats,postgres-base,redis,nginx}:local
#   skipped when present (--force rebuilds);
# - compose's own server images from their real Dockerfiles, with only the base swapped (build
#   args): localhost/neonchat-postgres:local (deploy/postgres: pgBackRest on the postgres
#   stand-in) and localhost/neonchat-ops:local (deploy/ops: PgBouncer and the exporters on the
#   local trixie base instead of debian:bookworm-slim). Always built: podman's layer cache
#   makes an unchanged one a few seconds.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FORCE=0
[[ ${1:-} == --force ]] && FORCE=1
ensure_tools
"$IMAGES_DIR/base-image.sh"
for target in nats postgres-base redis nginx; do
  tag=localhost/neonchat-$target:local
  if ((FORCE == 0)) && image_exists "$tag"; then continue; fi
  started=$SECONDS
  podman build --quiet --format docker --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --target "$target" --tag "$tag" -f "$ROOT/deploy/podman/servers.Dockerfile" "$ROOT/deploy/podman" >/dev/null
  img_log "$tag built in $((SECONDS - started)) s"
done

# build_real NAME BUILD_ARG: deploy/NAME/Dockerfile as localhost/neonchat-NAME:local.
build_real() {
  local name=$1 arg=$2 started=$SECONDS
  podman build --quiet --format docker --network host --build-arg "$arg" \
    --tag "localhost/neonchat-$name:local" "$ROOT/deploy/$name" >/dev/null
  img_log "localhost/neonchat-$name:local (deploy/$name/Dockerfile) ready in $((SECONDS - started)) s"
}
build_real postgres POSTGRES_IMAGE=localhost/neonchat-postgres-base:local
build_real ops "DEBIAN_IMAGE=$BASE_IMAGE"
