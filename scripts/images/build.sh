#!/usr/bin/env bash
# Builds NeonChat's four images here with podman, from the root Dockerfile, on the local base
# image (scripts/images/base-image.sh, built first when missing) instead of node:24-trixie-slim,
# which cannot be pulled here:
#   scripts/images/build.sh [api gateway persister presence]
# Tags them as docker-compose.yml names them (neonchat-<service>:local). `--network host` lets
# `npm ci` reach the npm registry; `--format docker` keeps the HEALTHCHECKs (OCI drops them).
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(api gateway persister presence)

ensure_tools
"$IMAGES_DIR/base-image.sh"
cd "$ROOT"
for target in "${TARGETS[@]}"; do
  started=$SECONDS
  img_log "building neonchat-$target:local on $BASE_IMAGE"
  podman build --quiet --format docker --network host --build-arg "NODE_IMAGE=$BASE_IMAGE" \
    --target "$target" --tag "neonchat-$target:local" . >/dev/null
  img_log "neonchat-$target:local built in $((SECONDS - started)) s" \
    "($(podman image inspect --format '{{.Size}}' "neonchat-$target:local" | numfmt --to=iec) uncompressed)"
done
