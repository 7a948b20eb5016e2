#!/usr/bin/env bash
# What `make bench` needs beyond `make deps`: rsvg-convert (Debian package librsvg2-bin) to
# turn the plots into PNG. Installed with apt only when missing; without apt the bench still
# runs and keeps the SVG (the report says so).
set -euo pipefail

log() { echo "bench deps: $*" >&2; }

if command -v rsvg-convert >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  log "rsvg-convert is missing and apt-get is not available: install librsvg2-bin (or your system's rsvg-convert) for PNG plots"
  exit 0
fi
SUDO=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    log "rsvg-convert is missing; not root and no sudo: run 'apt-get install librsvg2-bin' as root for PNG plots"
    exit 0
  fi
  SUDO=(sudo)
fi
log "installing librsvg2-bin (rsvg-convert) with apt-get"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends librsvg2-bin
command -v rsvg-convert >/dev/null || { log "librsvg2-bin installed but rsvg-convert is still missing"; exit 1; }
