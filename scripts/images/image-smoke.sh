#!/usr/bin/env bash
# `make image-smoke`: builds the four images (scripts/images/build.sh), then starts each under
# podman on host networking against NATS, PostgreSQL and Redis on loopback and runs the message
# smoke through them (test/images/image-smoke.ts).
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$IMAGES_DIR/build.sh"
cd "$ROOT"
npm run build --silent
npx tsx test/images/image-smoke.ts
