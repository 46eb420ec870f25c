#!/usr/bin/env bash
# The real agent CLIs for agentctl's contract tests (test/contract/).
#
#   bash test/support/agent-clis.sh install   # pinned claude, codex, gemini under /tmp/agentctl-agent-clis
#   bash test/support/agent-clis.sh user      # the non-root user agentctl-test (when run as root)
#   bash test/support/agent-clis.sh all       # install + user
#   eval "$(bash test/support/agent-clis.sh env)"
#
# Idempotent: the install is skipped when the pinned versions are already
# there, the user when it exists. The CLIs only ever talk to fakes on
# 127.0.0.1 in the tests; installing them needs the npm registry.
set -euo pipefail

PREFIX=${AGENTCTL_AGENT_CLIS_PREFIX:-/tmp/agentctl-agent-clis}
BIN_DIR="$PREFIX/node_modules/.bin"
TEST_USER=agentctl-test
LOCK_FILE=/tmp/agentctl-agent-clis.flock
# package@version: bump together with the contract tests.
PINNED=(
  @anthropic-ai/claude-code@2.1.197
  @openai/codex@0.169.0
  @google/gemini-cli@0.61.0
)

log() { printf '[agent-clis %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[agent-clis] ERROR: %s\n' "$*" >&2; exit 1; }

take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "could not take $LOCK_FILE"
}

# The version of an installed package, or nothing.
installed_version() {
  local manifest="$PREFIX/node_modules/$1/package.json"
  [[ -f $manifest ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1
}

all_pinned_installed() {
  local spec name want
  for spec in "${PINNED[@]}"; do
    name=${spec%@*}
    want=${spec##*@}
    [[ $(installed_version "$name") == "$want" ]] || return 1
  done
  for name in claude codex gemini; do
    [[ -x $BIN_DIR/$name ]] || return 1
  done
}

cmd_install() {
  if all_pinned_installed; then
    log "pinned CLIs already in $PREFIX"
    return 0
  fi
  command -v npm >/dev/null || die "npm is needed to install the agent CLIs"
  mkdir -p "$PREFIX"
  # A package.json of our own, so npm installs here and not in a parent project.
  [[ -f $PREFIX/package.json ]] || printf '{ "name": "agentctl-agent-clis", "private": true }\n' >"$PREFIX/package.json"
  log "installing ${PINNED[*]} into $PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact "${PINNED[@]}" >&2
  all_pinned_installed || die "after npm install, $PREFIX does not hold ${PINNED[*]}"
  # Readable and runnable by the unprivileged test user.
  chmod -R a+rX "$PREFIX"
  log "done"
}

cmd_user() {
  if [[ $(id -u) -ne 0 ]]; then
    log "not root: the tests run the CLIs as $(id -un) directly"
    return 0
  fi
  if id -u "$TEST_USER" >/dev/null 2>&1; then
    return 0
  fi
  command -v useradd >/dev/null || die "useradd is needed to create $TEST_USER"
  useradd --create-home --shell /bin/sh --user-group "$TEST_USER"
  log "created user $TEST_USER"
}

cmd_env() {
  cat <<EOF
export AGENTCTL_TEST_AGENT_CLIS=$BIN_DIR
EOF
}

main() {
  local cmd=${1:-}
  case $cmd in
    install) take_lock; cmd_install ;;
    user) take_lock; cmd_user ;;
    all) take_lock; cmd_install; cmd_user ;;
    env) cmd_env ;;
    *) echo "usage: $0 install|user|all|env" >&2; exit 2 ;;
  esac
}

main "$@"
