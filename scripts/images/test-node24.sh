#!/usr/bin/env bash
# `make test-node24`: the whole test suite (`npm test`) on Node.js 24 in a Debian trixie
# container under podman, with trixie's own nats-server, PostgreSQL, Redis, Chromium, HAProxy
# and Prometheus inside (localhost/neonchat-test:24-trixie, scripts/images/base-image.sh
# --test). The working tree's files (tracked and untracked, not ignored; no node_modules, no
# dist) are copied in, then `npm ci` on Node 24, `npm run build`, `npm test`, as on the host.
# Its own network namespace (podman's bridge): the servers the harness starts, and `make
# cluster`'s fixed port block, are on a loopback of their own, clear of the host's stacks.
# --init reaps what the tests' shells leave behind; SYS_NICE lets the bench's priority test
# put a priority back up, as root on the host can.
# The log: .images/test-node24.log; the closing line is the reporter's "tests: N passed, N failed".
#   scripts/images/test-node24.sh [TEST_FILE...]   runs only those files (npx mocha) instead
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_tools
"$IMAGES_DIR/base-image.sh" --test
mkdir -p "$CACHE"
LOG=$CACHE/test-node24.log
NAME=neonchat-test-node24-$$
# npm's cache survives between runs in .images/npm-cache: a second run downloads little.
mkdir -p "$CACHE/npm-cache"

cleanup() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 143' TERM INT

TESTS_PREAMBLE='
  set -euo pipefail
  mkdir -p /src && cd /src && tar -xf -
  echo "node $(node --version), npm $(npm --version), $(nats-server --version), $(/usr/lib/postgresql/*/bin/postgres --version), $(redis-server --version | cut -d" " -f1-3), $(chromium --version 2>/dev/null)"
  npm ci --no-audit --no-fund --loglevel=error
  npm run build --silent
  '
# What runs inside: npm test, or mocha on the files given, each quoted for bash -c.
TESTS='npm test </dev/null'
(($#)) && TESTS="npx mocha $(printf '%q ' "$@") </dev/null"

cd "$ROOT"
img_log "npm test on Node 24 in $TEST_IMAGE (log: $LOG)"
status=0
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - |
  podman run -i --init --cap-add SYS_NICE --name "$NAME" -e CI="${CI:-}" -v "$CACHE/npm-cache:/root/.npm" \
    "$TEST_IMAGE" bash -c "$TESTS_PREAMBLE$TESTS" 2>&1 | tee "$LOG" || status=$?
summary=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$LOG" | tail -n1 || true)
img_log "Node 24: ${summary:-no test summary} (exit $status)"
exit "$status"
