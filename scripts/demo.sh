#!/usr/bin/env bash
# `make demo`: records the seed's demo scenario into demo/neonchat-demo.webm (demo/record.ts),
# checks it with ffprobe, and with DEMO_FRAMES=1 also refreshes the stills in docs/screenshots/
# (DEMO_CHECK_ONLY=1: check an existing video and take its stills, without recording again).
# Installs ffmpeg (Debian/Ubuntu apt) and builds the workspaces if missing. Starts its own stack
# (scripts/dev.sh on free ports, data in demo/.work/): make dev may run next to it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VIDEO=demo/neonchat-demo.webm

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  echo "[demo] installing ffmpeg (apt-get)"
  SUDO=$([[ $(id -u) == 0 ]] && echo || echo sudo)
  $SUDO apt-get install -y -q ffmpeg >/dev/null || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q ffmpeg >/dev/null; }
fi
[[ ${DEMO_SKIP_DEPS:-0} == 1 ]] || ./scripts/deps.sh
[[ -x /usr/bin/chromium ]] || { echo "[demo] /usr/bin/chromium is missing (scripts/deps.sh installs it)" >&2; exit 1; }

# playwright-core records with an ffmpeg of its own that it downloads from its CDN; Debian's
# ffmpeg (with libvpx) does the same job, put where playwright looks for it.
rev=$(node -p "require('./node_modules/playwright-core/browsers.json').browsers.find((b) => b.name === 'ffmpeg').revision")
export PLAYWRIGHT_BROWSERS_PATH=$ROOT/demo/.work/playwright
mkdir -p "$PLAYWRIGHT_BROWSERS_PATH/ffmpeg-$rev"
ln -sf "$(command -v ffmpeg)" "$PLAYWRIGHT_BROWSERS_PATH/ffmpeg-$rev/ffmpeg-linux"

if [[ ${DEMO_CHECK_ONLY:-0} != 1 ]]; then
  rm -f "$VIDEO"
  node --import tsx --conditions=source demo/record.ts
fi

# A playable VP8 video of the whole scenario, 1280x720, at least a minute long.
probe() { ffprobe -v error -select_streams v:0 -show_entries "$1" -of default=noprint_wrappers=1:nokey=1 "$VIDEO"; }
codec=$(probe stream=codec_name)
width=$(probe stream=width)
height=$(probe stream=height)
duration=$(probe format=duration)
echo "[demo] $VIDEO: $codec ${width}x${height}, ${duration%.*} s, $(du -h "$VIDEO" | cut -f1)"
[[ $codec == vp8 && $width == 1280 && $height == 720 ]] || { echo "[demo] unexpected stream: $codec ${width}x${height}" >&2; exit 1; }
(( ${duration%.*} >= 60 )) || { echo "[demo] too short: $duration s" >&2; exit 1; }
ffmpeg -v error -i "$VIDEO" -f null - || { echo "[demo] the video does not decode" >&2; exit 1; }

if [[ ${DEMO_FRAMES:-0} == 1 ]]; then
  # Stills for the README: a few moments of the scenario, 640 px wide.
  i=1
  for fraction in 0.50 0.72 0.86 0.97; do
    t=$(node -p "(${duration} * ${fraction}).toFixed(1)")
    ffmpeg -v error -y -ss "$t" -i "$VIDEO" -frames:v 1 -vf scale=640:-1 "docs/screenshots/demo-$i.png"
    i=$((i + 1))
  done
  echo "[demo] stills in docs/screenshots/demo-{1..4}.png"
fi
rm -rf demo/.work
