#!/usr/bin/env bash
# Builds the local stand-ins for the server images docker-compose.yml pulls (nats, postgres,
# redis, nginx; deploy/podman/servers.Dockerfile) on the local base image:
#   localhost/neonchat-{nats,postgres,redis,nginx}:local
# Skipped when present (--force rebuilds).
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FORCE=0
[[ ${1:-} == --force ]] && FORCE=1
ensure_tools
"$IMAGES_DIR/base-image.sh"
for target in nats postgres redis nginx; do
  tag=localhost/neonchat-$target:local
  if ((FORCE == 0)) && image_exists "$tag"; then continue; fi
  started=$SECONDS
  podman build --quiet --format docker --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --target "$target" --tag "$tag" -f "$ROOT/deploy/podman/servers.Dockerfile" "$ROOT/deploy/podman" >/dev/null
  img_log "$tag built in $((SECONDS - started)) s"
done
