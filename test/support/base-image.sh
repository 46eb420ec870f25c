#!/usr/bin/env bash
# A minimal Debian base image for building agentctl's Containerfile offline
# from any image registry: `debootstrap --variant=minbase bookworm` from the
# Debian mirror apt already uses, imported into Podman (and Docker when it
# answers) as localhost/agentctl-base:bookworm.
#
#   bash test/support/base-image.sh          # build/import when missing
#   bash test/support/base-image.sh env      # export AGENTCTL_TEST_BASE_IMAGE=...
#
# Idempotent and cheap when warm: the rootfs tarball is cached under /tmp
# keyed by date (Debian's archive moves daily), and an engine that already
# holds an image made from today's tarball is left alone.
set -euo pipefail

IMAGE=${AGENTCTL_BASE_IMAGE:-localhost/agentctl-base:bookworm}
SUITE=bookworm
PODMAN_HOST=${AGENTCTL_TEST_PODMAN_HOST:-unix:///tmp/agentctl-podman.sock}
DOCKER_HOST_URL=${AGENTCTL_TEST_DOCKER_HOST:-unix:///tmp/agentctl-docker.sock}
CACHE_DIR=${AGENTCTL_BASE_CACHE:-/tmp/agentctl-base-cache}
STAMP=$(date -u +%Y%m%d)
TARBALL="$CACHE_DIR/$SUITE-minbase-$STAMP.tar"
LOCK_FILE=/tmp/agentctl-base-image.flock
LABEL=dev.agentctl.base-rootfs

log() { printf '[base-image %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[base-image] ERROR: %s\n' "$*" >&2; exit 1; }

# The mirror apt uses here (deb822 sources first, then the one-line format).
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  if [[ -z $uri ]]; then
    uri=$(awk '$1 == "deb" && $3 ~ /^(bookworm|stable)$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  fi
  [[ -n $uri ]] || die "cannot find the Debian mirror in /etc/apt/sources.list*"
  printf '%s\n' "$uri"
}

make_tarball() {
  if [[ -s $TARBALL ]]; then
    log "using cached $TARBALL"
    return 0
  fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends debootstrap >/dev/null \
      || { apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends debootstrap >/dev/null; } \
      || die "apt-get install debootstrap failed"
  }
  mkdir -p "$CACHE_DIR"
  local mirror work
  mirror=$(debian_mirror)
  work=$(mktemp -d /tmp/agentctl-debootstrap.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  log "debootstrap --variant=minbase $SUITE from $mirror"
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  # Security updates too, as Debian's own images have them.
  local secmirror
  secmirror=$(awk '/^URIs:/ && /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    [[ -n $secmirror ]] && echo "deb $secmirror $SUITE-security main"
  } >"$work/rootfs/etc/apt/sources.list"
  # Smaller and quicker apt inside the image: no docs, no caches kept.
  printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\npath-include /usr/share/doc/*/copyright\n' \
    >"$work/rootfs/etc/dpkg/dpkg.cfg.d/01-agentctl-nodoc"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$work/rootfs/etc/apt/apt.conf.d/01-agentctl-norecommends"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar --numeric-owner -C "$work/rootfs" -cf "$TARBALL.part" .
  mv "$TARBALL.part" "$TARBALL"
  rm -rf "$work"
  trap - EXIT
  # Older days' tarballs are of no more use.
  find "$CACHE_DIR" -maxdepth 1 -name "$SUITE-minbase-*.tar" ! -name "$(basename "$TARBALL")" -delete
  log "rootfs: $(du -sh "$TARBALL" | cut -f1)"
}

stamp_in() { # engine-cli...
  "$@" image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null || true
}

import_into() { # engine-cli...
  "$@" import \
    --change "LABEL $LABEL=$STAMP" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    "$TARBALL" "$IMAGE" >/dev/null
}

answers() { curl -sf -m 3 --unix-socket "${1#unix://}" http://d/version >/dev/null 2>&1; }

cmd_build() {
  exec 9>"$LOCK_FILE"
  flock -w 900 9 || die "could not take $LOCK_FILE"
  local engines=() have
  if answers "$PODMAN_HOST"; then engines+=(podman); fi
  if answers "$DOCKER_HOST_URL"; then engines+=(docker); fi
  ((${#engines[@]})) || die "neither podman ($PODMAN_HOST) nor docker ($DOCKER_HOST_URL) answers: run 'bash test/support/engines.sh all' first"
  local engine
  for engine in "${engines[@]}"; do
    local cli=(podman --url "$PODMAN_HOST")
    [[ $engine == docker ]] && cli=(env DOCKER_HOST="$DOCKER_HOST_URL" docker)
    have=$(stamp_in "${cli[@]}")
    if [[ -n $have ]]; then
      # Any day's base will do for an existing image: rebuilding it daily would
      # invalidate the agent image built on it for nothing.
      log "$IMAGE present in $engine (rootfs of $have)"
      continue
    fi
    make_tarball
    log "importing into $engine"
    import_into "${cli[@]}"
  done
  log "done"
}

case ${1:-build} in
  build) cmd_build ;;
  env) echo "export AGENTCTL_TEST_BASE_IMAGE=$IMAGE" ;;
  *) echo "usage: $0 [build|env]" >&2; exit 2 ;;
esac
