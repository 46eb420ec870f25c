/**
 * The agent wrappers' sh scripts, written out by hand: what tests expect
 * `wrapContainerArgv` and `wrapHostArgv` to produce.
 */
export const CONTAINER_SCRIPT =
  'child=; stop() { kill -TERM "$child" 2>/dev/null; }; trap stop TERM INT HUP; ' +
  '"$@" < "$AGENTCTL_STDIN" >> "$AGENTCTL_LOG" 2>&1 & child=$!; wait "$child"; code=$?; while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done; if [ "$code" -gt 128 ]; then wait "$child"; last=$?; [ "$last" -eq 127 ] || code=$last; fi; ' +
  'echo "$code" > "$AGENTCTL_EXIT.tmp" && mv "$AGENTCTL_EXIT.tmp" "$AGENTCTL_EXIT"; exit "$code"';

export const HOST_SCRIPT =
  'echo $$ > "$AGENTCTL_PID.tmp" && mv "$AGENTCTL_PID.tmp" "$AGENTCTL_PID"; ' +
  '"$@" < "$AGENTCTL_STDIN" >> "$AGENTCTL_LOG" 2>&1; code=$?; echo "$code" > "$AGENTCTL_EXIT.tmp" && mv "$AGENTCTL_EXIT.tmp" "$AGENTCTL_EXIT"';
