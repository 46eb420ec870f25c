#!/usr/bin/env bash
# Real container engines for agentctl's integration tests.
#
#   bash test/support/engines.sh install   # apt packages + /etc/containers/containers.conf
#   bash test/support/engines.sh start     # Podman API socket + a private dockerd
#   bash test/support/engines.sh image     # localhost/agentctl-test:latest in both engines
#   bash test/support/engines.sh all       # install, start, image
#   bash test/support/engines.sh swarm     # make the test dockerd a single-node swarm manager
#   eval "$(bash test/support/engines.sh env)"
#
# Idempotent: every step checks first and does nothing when already done.
# Debian 12 (bookworm), root, no image registry: the test image is imported
# from a root file system made of the host's own binaries.
set -euo pipefail

PODMAN_SOCK=/tmp/agentctl-podman.sock
DOCKER_SOCK=/tmp/agentctl-docker.sock
PODMAN_HOST="unix://$PODMAN_SOCK"
DOCKER_HOST_URL="unix://$DOCKER_SOCK"
PODMAN_LOG=/tmp/agentctl-podman.log
DOCKERD_LOG=/tmp/agentctl-dockerd.log
DOCKERD_PID=/tmp/agentctl-dockerd.pid
DOCKER_DATA=/tmp/agentctl-dockerdata
DOCKER_EXEC=/tmp/agentctl-dockerexec
# vfs (as in the notes) copies the whole image for every container: ~0.9 s per
# `docker run` with this image; overlay2 takes ~0.3 s. overlay2 is used when
# the kernel lets us mount an overlay where dockerd keeps its data (checked
# before each start), vfs otherwise; AGENTCTL_DOCKER_STORAGE_DRIVER forces one.
DOCKER_STORAGE_DRIVER=${AGENTCTL_DOCKER_STORAGE_DRIVER:-}
IMAGE=localhost/agentctl-test:latest
HASH_FILE=/tmp/agentctl-test-image.hash
LOCK_FILE=/tmp/agentctl-engines.flock
WAIT_SECS=${AGENTCTL_ENGINES_WAIT:-60}
PACKAGES=(podman runc busybox-static docker.io containerd git golang-go tmux uidmap curl)
CONTAINERS_CONF=/etc/containers/containers.conf
WORK_DIR=
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")

log() { printf '[engines %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[engines] ERROR: %s\n' "$*" >&2; exit 1; }

# Serialise concurrent callers (parallel test workers, two terminals).
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "could not take $LOCK_FILE"
}

docker_cli() { DOCKER_HOST="$DOCKER_HOST_URL" docker "$@"; }

# ---------------------------------------------------------------- install
write_containers_conf() {
  local want
  want=$(cat <<'EOF'
# Written by agentctl test/support/engines.sh: crun and the systemd cgroup
# manager fail in this sandbox (hybrid cgroups), and the default ulimits
# cannot be raised without CAP_SYS_RESOURCE.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)
  if [[ -f $CONTAINERS_CONF ]] && grep -q 'runtime = "runc"' "$CONTAINERS_CONF" \
     && grep -q 'cgroup_manager = "cgroupfs"' "$CONTAINERS_CONF" \
     && grep -q 'nofile=1024:1024' "$CONTAINERS_CONF" \
     && grep -q 'events_logger = "file"' "$CONTAINERS_CONF"; then
    return 0
  fi
  if [[ -s $CONTAINERS_CONF ]]; then
    cp "$CONTAINERS_CONF" "$CONTAINERS_CONF.agentctl-bak.$(date +%s)"
    log "replacing $CONTAINERS_CONF (backup kept beside it)"
  fi
  mkdir -p "$(dirname "$CONTAINERS_CONF")"
  printf '%s\n' "$want" >"$CONTAINERS_CONF"
  log "wrote $CONTAINERS_CONF"
}

cmd_install() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    # --no-install-recommends keeps it quick; nothing recommended is needed
    # for rootful engines (fuse-overlayfs, slirp4netns, buildah are not).
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}" >/tmp/agentctl-apt.log 2>&1 \
      || { tail -n 40 /tmp/agentctl-apt.log >&2; die "apt-get install failed"; }
  fi
  write_containers_conf
}

# ---------------------------------------------------------------- start
podman_answers() { curl -sf -m 3 --unix-socket "$PODMAN_SOCK" http://d/version >/dev/null 2>&1; }
docker_answers() { curl -sf -m 3 --unix-socket "$DOCKER_SOCK" http://d/version >/dev/null 2>&1; }

wait_for() { # name check-fn logfile
  local name=$1 check=$2 logf=$3 deadline=$((SECONDS + WAIT_SECS))
  until "$check"; do
    if ((SECONDS >= deadline)); then
      log "$name did not answer within ${WAIT_SECS}s; last lines of $logf:"
      tail -n 30 "$logf" >&2 || true
      die "$name failed to start"
    fi
    sleep 0.2
  done
}

start_podman() {
  podman_answers && return 0
  command -v podman >/dev/null || die "podman not installed: run '$0 install' first"
  rm -f "$PODMAN_SOCK"
  log "starting podman system service on $PODMAN_HOST"
  # setsid + nohup + closed fds: the service outlives this script and does
  # not hold the caller's stdout open.
  nohup setsid podman system service --time=0 "$PODMAN_HOST" \
    >>"$PODMAN_LOG" 2>&1 </dev/null 9>&- &
  disown || true
}

# Can an overlay be mounted where dockerd keeps its data? (Not on every
# filesystem, nor in every container.)
overlay_works() {
  local probe ok=1
  probe=$(mktemp -d "$DOCKER_DATA/.overlay-probe.XXXXXX") || return 1
  mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged" && ok=0
  fi
  rm -rf "$probe"
  return $ok
}

start_docker() {
  docker_answers && return 0
  command -v dockerd >/dev/null || die "dockerd not installed: run '$0 install' first"
  if [[ -f $DOCKERD_PID ]]; then
    local pid
    pid=$(cat "$DOCKERD_PID" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null \
       && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]]; then
      log "dockerd pid $pid is running but not answering yet; waiting"
      return 0
    fi
    rm -f "$DOCKERD_PID"
  fi
  rm -f "$DOCKER_SOCK"
  mkdir -p "$DOCKER_DATA" "$DOCKER_EXEC"
  local driver=${DOCKER_STORAGE_DRIVER:-$(overlay_works && echo overlay2 || echo vfs)}
  log "starting dockerd on $DOCKER_HOST_URL (storage driver $driver)"
  nohup setsid dockerd --iptables=false --storage-driver="$driver" \
    --host "$DOCKER_HOST_URL" \
    --data-root "$DOCKER_DATA" --exec-root "$DOCKER_EXEC" \
    --pidfile "$DOCKERD_PID" \
    >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
  disown || true
}

cmd_start() {
  [[ -f $CONTAINERS_CONF ]] || write_containers_conf
  start_podman
  start_docker
  wait_for podman podman_answers "$PODMAN_LOG"
  wait_for dockerd docker_answers "$DOCKERD_LOG"
}

# ---------------------------------------------------------------- image
node_bin() { readlink -f "${AGENTCTL_TEST_NODE:-$(command -v node)}"; }
go_root() { go env GOROOT; }
npm_dir() { dirname "$(dirname "$(readlink -f "$(command -v npm)")")"; }

# Cheap fingerprint of everything that goes into the image: this script and
# the identity (path, size, mtime) of the host binaries it copies.
inputs_hash() {
  local gr
  gr=$(go_root)
  {
    sha256sum "$SCRIPT_PATH"
    stat -Lc '%n %s %Y' /bin/busybox "$(command -v git)" "$(node_bin)" \
      "$gr/bin/go" "$gr/pkg/tool" "$(git --exec-path)" /usr/share/git-core/templates "$(npm_dir)/package.json"
  } | sha256sum | cut -c1-16
}

image_id_in() { # engine-cli...
  "$@" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true
}

image_hash_in() { # engine-cli...
  "$@" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" 2>/dev/null \
    | sed -n 's/^AGENTCTL_TEST_IMAGE_HASH=//p'
}

copy_with_libs() { # rootfs file... : copy ELF shared-library dependencies
  local root=$1; shift
  local f lib
  for f in "$@"; do
    # ldd prints nothing useful for scripts and static binaries.
    { ldd "$f" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// {print $3; next} $1 ~ /^\// {print $1}'
  done | sort -u | while read -r lib; do
    [[ -e "$root$lib" ]] || cp -L --parents "$lib" "$root"
  done
}

build_rootfs() { # dir
  local r=$1 gr node execp a
  gr=$(go_root)
  node=$(node_bin)
  execp=$(git --exec-path)

  # Debian's merged /usr layout, so ldd paths (/lib/..., /lib64/...) land in usr/.
  mkdir -p "$r"/usr/{bin,sbin,lib,lib64,local/bin} "$r"/{etc,tmp,workspace,home/agent,root,var/tmp,proc,sys,dev}
  ln -s usr/bin "$r/bin"; ln -s usr/sbin "$r/sbin"
  ln -s usr/lib "$r/lib"; ln -s usr/lib64 "$r/lib64"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 755 "$r/workspace"
  chown 1000:1000 "$r/home/agent"
  chmod 700 "$r/root"

  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
agent:x:1000:1000:agent:/home/agent:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
agent:x:1000:
nogroup:x:65534:
EOF
  echo "hosts: files dns" >"$r/etc/nsswitch.conf"
  : >"$r/etc/hosts"; : >"$r/etc/resolv.conf"

  # busybox: every applet as a symlink (real binaries copied below win).
  cp /bin/busybox "$r/usr/bin/busybox"
  for a in $(/bin/busybox --list); do
    [[ -e "$r/usr/bin/$a" ]] || ln -s busybox "$r/usr/bin/$a"
  done

  # git, its exec-path helpers (hardlinks kept) and templates.
  rm -f "$r/usr/bin/git"
  cp -L "$(command -v git)" "$r/usr/bin/git"
  mkdir -p "$r$(dirname "$execp")" "$r/usr/share/git-core"
  cp -a "$execp" "$r$(dirname "$execp")/"
  cp -a /usr/share/git-core/templates "$r/usr/share/git-core/"
  git config --system --list >/dev/null 2>&1 && cp -L /etc/gitconfig "$r/etc/gitconfig" 2>/dev/null || true

  # node: the host's binary (stripped copy when strip is around).
  cp -L "$node" "$r/usr/local/bin/node"
  if command -v strip >/dev/null; then strip --strip-debug "$r/usr/local/bin/node" 2>/dev/null || true; fi
  # npm, for QA of Node repos: the host's npm package, run by that node.
  mkdir -p "$r/usr/local/lib/node_modules"
  cp -a "$(npm_dir)" "$r/usr/local/lib/node_modules/npm"
  printf '#!/bin/sh\nexec node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n' > "$r/usr/local/bin/npm"
  chmod 755 "$r/usr/local/bin/npm"

  # Go toolchain at its own GOROOT (go finds GOROOT from its executable),
  # dereferenced (Debian links src/ into /usr/share) and trimmed of tests/docs.
  local gb
  gb=$(basename "$gr")
  mkdir -p "$r$(dirname "$gr")"
  # Left out: sources and prebuilt archives of the go command itself
  # (src/cmd, pkg/*/cmd: ~190 MB), profilers, tests and docs. User code
  # builds and tests fine without them.
  tar -C "$(dirname "$gr")" -chf - \
    --exclude="$gb/test" --exclude="$gb/doc" --exclude="$gb/api" --exclude="$gb/misc" \
    --exclude="$gb/src/cmd" --exclude="$gb/pkg/linux_*/cmd" --exclude="$gb/pkg/*_race" \
    --exclude="$gb/pkg/tool/*/pprof" --exclude="$gb/pkg/tool/*/trace" \
    --exclude="$gb/pkg/tool/*/api" --exclude="$gb/pkg/tool/*/dist" \
    --exclude='*_test.go' --exclude='testdata' \
    "$gb" | tar -C "$r$(dirname "$gr")" -xf -
  ln -s "$gr" "$r/usr/local/go"
  # Debian's prebuilt std archives were built with cgo; the image has no C
  # compiler and sets CGO_ENABLED=0, under which net, os/user, crypto/sha1...
  # are stale and every cold container would recompile them (~5 s). Rebuild
  # std once here for CGO_ENABLED=0 (GOROOT's own paths are not hashed).
  local gocache
  gocache=$(mktemp -d /tmp/agentctl-gocache.XXXXXX)
  env -u GOROOT -u GOPATH -u GOFLAGS -u GOOS -u GOARCH GOENV=off GOTOOLCHAIN=local \
    CGO_ENABLED=0 GOCACHE="$gocache" "$r$gr/bin/go" install std \
    || { rm -rf "$gocache"; die "go install std failed"; }
  rm -rf "$gocache"

  copy_with_libs "$r" "$r/usr/bin/git" "$r/usr/local/bin/node" \
    $(find "$r$execp" -type f -perm -u+x) \
    $(find "$r$gr/bin" "$r$gr/pkg/tool" -type f -perm -u+x)

  # Let the loader find everything without relying on built-in defaults.
  mkdir -p "$r/etc/ld.so.conf.d"
  printf '%s\n' /usr/local/lib /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu >"$r/etc/ld.so.conf"
  ldconfig -r "$r" 2>/dev/null || true
}

import_into() { # tarball hash engine-cli...
  local tarball=$1 hash=$2; shift 2
  "$@" import \
    --change 'ENV PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin' \
    --change 'ENV HOME=/home/agent' \
    --change 'ENV GOCACHE=/tmp/gocache' \
    --change 'ENV GOPATH=/tmp/gopath' \
    --change 'ENV GOTOOLCHAIN=local' \
    --change 'ENV GOPROXY=off' \
    --change 'ENV CGO_ENABLED=0' \
    --change "ENV AGENTCTL_TEST_IMAGE_HASH=$hash" \
    --change 'WORKDIR /workspace' \
    --change 'CMD ["/bin/sh"]' \
    "$tarball" "$IMAGE" >/dev/null
}

verify_image() { # engine-name engine-cli...
  local name=$1; shift
  local out probe
  probe=$(mktemp -d /tmp/agentctl-probe.XXXXXX)
  chmod 777 "$probe"
  out=$("$@" run --rm --user 1000:1000 -v "$probe:/workspace" -w /workspace "$IMAGE" \
    sh -c 'id -u; git --version; node --version; npm --version; go version; echo hi > f; cat f
           go list -f "{{if .Stale}}stale-std: {{.ImportPath}}{{end}}" std' 2>&1) \
    || { rm -rf "$probe"; die "$name: test image does not run: $out"; }
  rm -rf "$probe"
  grep -q '^1000$' <<<"$out" && grep -q '^git version' <<<"$out" \
    && grep -q '^v[0-9]' <<<"$out" && grep -q '^go version' <<<"$out" \
    && grep -q '^hi$' <<<"$out" && ! grep -q '^stale-std' <<<"$out" \
    || die "$name: unexpected output from test image: $out"
  log "$name ok: $(tr '\n' ' ' <<<"$out")"
}

cmd_image() {
  command -v go >/dev/null || die "go not installed: run '$0 install' first"
  podman_answers && docker_answers || die "engines not answering: run '$0 start' first"
  local hash have_p have_d old_p old_d
  hash=$(inputs_hash)
  have_p=$(image_hash_in podman --url "$PODMAN_HOST" || true)
  have_d=$(image_hash_in docker_cli || true)
  if [[ $have_p == "$hash" && $have_d == "$hash" ]]; then
    echo "$hash" >"$HASH_FILE"
    log "$IMAGE up to date in both engines ($hash)"
    return 0
  fi
  local work
  work=$(mktemp -d /tmp/agentctl-rootfs.XXXXXX)
  WORK_DIR=$work
  trap 'rm -rf "$WORK_DIR"' EXIT
  old_p=$(image_id_in podman --url "$PODMAN_HOST")
  old_d=$(image_id_in docker_cli)
  log "building rootfs for $IMAGE ($hash)"
  build_rootfs "$work/rootfs"
  tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
  log "rootfs: $(du -sh "$work/rootfs.tar" | cut -f1)"
  # Both engines in parallel: import, then a run of the new image.
  local pid_p pid_d
  (
    if [[ $have_p != "$hash" ]]; then
      log "importing into podman"
      import_into "$work/rootfs.tar" "$hash" podman --url "$PODMAN_HOST"
    fi
    verify_image podman podman --url "$PODMAN_HOST"
  ) & pid_p=$!
  (
    if [[ $have_d != "$hash" ]]; then
      log "importing into docker"
      import_into "$work/rootfs.tar" "$hash" docker_cli
    fi
    verify_image docker docker_cli
  ) & pid_d=$!
  wait "$pid_p" || die "podman import/verify failed"
  wait "$pid_d" || die "docker import/verify failed"
  echo "$hash" >"$HASH_FILE"
  rm -rf "$work"
  # Drop our own previous build (only ours: no prune, the engines' storage is
  # shared with other users). Fails harmlessly while a container still uses it.
  if [[ -n $old_p && $old_p != "$(image_id_in podman --url "$PODMAN_HOST")" ]]; then
    podman --url "$PODMAN_HOST" rmi "$old_p" >/dev/null 2>&1 || true
  fi
  if [[ -n $old_d && $old_d != "$(image_id_in docker_cli)" ]]; then
    docker_cli rmi "$old_d" >/dev/null 2>&1 || true
  fi
  log "done"
}

# ---------------------------------------------------------------- swarm
# A single-node swarm on the test dockerd, for the Swarm adapter's tests.
# Nothing else changes: the engine still runs plain containers.
cmd_swarm() {
  docker_answers || die "dockerd not answering: run '$0 start' first"
  local state
  state=$(docker_cli info --format '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}')
  if [[ $state == active/true ]]; then log "swarm manager already"; return 0; fi
  [[ $state == inactive/false ]] || die "the test dockerd is in swarm state $state, not a manager: fix it by hand"
  docker_cli swarm init --advertise-addr 127.0.0.1 >/dev/null
  log "swarm initialised on $DOCKER_HOST_URL"
}

cmd_env() {
  cat <<EOF
export AGENTCTL_TEST_DOCKER_HOST=$DOCKER_HOST_URL
export AGENTCTL_TEST_PODMAN_HOST=$PODMAN_HOST
export AGENTCTL_TEST_IMAGE=$IMAGE
EOF
}

main() {
  local cmd=${1:-}
  case $cmd in
    install) take_lock; cmd_install ;;
    start) take_lock; cmd_start ;;
    image) take_lock; cmd_image ;;
    swarm) take_lock; cmd_swarm ;;
    all) take_lock; cmd_install; cmd_start; cmd_image ;;
    env) cmd_env ;;
    *) echo "usage: $0 install|start|image|swarm|all|env" >&2; exit 2 ;;
  esac
}

main "$@"
