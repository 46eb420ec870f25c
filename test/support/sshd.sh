#!/usr/bin/env bash
# A real OpenSSH server on 127.0.0.1 in front of a test engine (Docker, or
# Podman through its Docker-compatible socket: AGENTCTL_SSH_DOCKER_SOCK), for
# the remote-engine tests. Everything (host key, user key, authorized_keys,
# known_hosts, config, pid file, log) lives in DIR; the real ~/.ssh is never
# touched.
#
#   bash test/support/sshd.sh install          # Debian's openssh-server
#   bash test/support/sshd.sh start DIR PORT   # keys + config + sshd; prints the env lines below
#   bash test/support/sshd.sh stop DIR
#
# The session's `docker` reaches the test engine through SetEnv DOCKER_HOST:
# the engine API over SSH is `docker system dial-stdio` run on the far side.
set -euo pipefail

DOCKER_SOCK=${AGENTCTL_SSH_DOCKER_SOCK:-/tmp/agentctl-docker.sock}

die() { printf '[sshd] ERROR: %s\n' "$*" >&2; exit 1; }

install() {
  [ -x /usr/sbin/sshd ] && return 0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
}

start() {
  local dir=$1 port=$2
  [ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd: run '$0 install' first"
  mkdir -p "$dir" /run/sshd
  chmod 700 "$dir"
  [ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  [ -f "$dir/id" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id"
  cp "$dir/id.pub" "$dir/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
  cat > "$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
MaxSessions 20
SetEnv DOCKER_HOST=unix://$DOCKER_SOCK
CONF
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  # Ready once the port takes a connection.
  for _ in $(seq 1 50); do
    if ssh -o BatchMode=yes -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes -i "$dir/id" -p "$port" root@127.0.0.1 true 2>/dev/null; then
      echo "AGENTCTL_TEST_SSH_URL=ssh://root@127.0.0.1:$port"
      echo "AGENTCTL_TEST_SSH_IDENTITY=$dir/id"
      echo "AGENTCTL_TEST_SSH_KNOWN_HOSTS=$dir/known_hosts"
      return 0
    fi
    sleep 0.1
  done
  die "sshd on 127.0.0.1:$port did not answer (see $dir/sshd.log)"
}

stop() {
  local dir=$1
  [ -f "$dir/sshd.pid" ] && kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?DIR}" "${3:?PORT}" ;;
  stop) stop "${2:?DIR}" ;;
  *) die "usage: $0 install | start DIR PORT | stop DIR" ;;
esac
