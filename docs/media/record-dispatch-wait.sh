#!/usr/bin/env bash
# Records a real `agentctl dispatch --wait` on a terminal (script -t) and renders it to dispatch-wait.svg.
# Needs a built agentctl (npm run build), a running Podman (CONTAINER_HOST) and an agent image
# (AGENTCTL_IMAGE, default localhost/agentctl-agent:latest). The agent is a scripted one: no API key is used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
demo="$(mktemp -d /tmp/agentctl-demo.XXXX)"
trap 'rm -rf "$demo"' EXIT
mkdir -p "$demo/bin" "$demo/my-project"
ln -s "$root/bin/agentctl" "$demo/bin/agentctl"
cd "$demo/my-project"
git init -q -b main
printf '# my-project\n' > README.md
cat > .agentctl.yaml <<'YAML'
agents:
  scripted:
    command: [sh, -c, 'echo "reading README.md"; sleep 1; echo "Hello, Ada!" >> README.md; echo "added a greeting"; sleep 1; git add README.md; git commit -qm "Greet Ada"; echo "committed"']
YAML
git add -A && git -c user.name=demo -c user.email=demo@localhost commit -qm 'first commit'
export PATH="$demo/bin:$PATH" AGENTCTL_HOME="$demo/.agentctl" XDG_CONFIG_HOME="$demo/.config" AGENTCTL_AGENT=scripted AGENTCTL_RUNTIME=podman
command='agentctl dispatch --repo . --task "Add a greeting for Ada to the README" --wait'
script -q -t"$demo/timing" -c "$command" "$demo/typescript" >/dev/null
# The workspace path names the temporary demo directory: it is shown as a user's home.
node "$root/docs/gen-terminal-svg.mjs" "$demo/typescript" "$demo/timing" "$command" "$demo" /home/ada > "$here/dispatch-wait.svg"
echo "wrote $here/dispatch-wait.svg"
