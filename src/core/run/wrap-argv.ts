/** The wrapper's own name ($0 of its sh -c): the agent's argv follows it. */
const WRAPPER_NAME = 'agentctl-run';

/** The exit code a wrapper reports when the repo's setup command failed, so the agent never started. */
export const SETUP_FAILED_EXIT = 97;

/** Puts the agent's (or the failed setup's) exit code in $code. */
function runAgent(agent: string, setup: string | undefined): string {
  return setup === undefined ? agent : `if sh -c "$AGENTCTL_SETUP" < /dev/null >> "$AGENTCTL_LOG" 2>&1; then ${agent}; else code=${SETUP_FAILED_EXIT}; fi`;
}

/** Atomically (via rename), so a reader never sees half a number. */
const RECORD_EXIT = 'echo "$code" > "$AGENTCTL_EXIT.tmp" && mv "$AGENTCTL_EXIT.tmp" "$AGENTCTL_EXIT"';

function wrapperEnv(paths: { log: string; stdin: string | undefined; exitCode: string }): string[] {
  return [`AGENTCTL_LOG=${paths.log}`, `AGENTCTL_STDIN=${paths.stdin ?? '/dev/null'}`, `AGENTCTL_EXIT=${paths.exitCode}`];
}

/**
 * The agent's top-level credential files (logins, settings) are mounted
 * read-only, each on its own, beside HOME; its CLI writes next to its
 * credentials (gemini fails on a read-only ~/.gemini), so they are copied
 * into the tmpfs HOME. The directory's subdirectories (other projects'
 * sessions and transcripts) are never mounted, and nothing the agent writes
 * goes back to the host.
 */
const COPY_CREDENTIALS =
  'dest="$HOME/${AGENTCTL_CREDENTIALS##*/}"; mkdir -p "$dest" && ' +
  'for f in "$AGENTCTL_CREDENTIALS"/* "$AGENTCTL_CREDENTIALS"/.[!.]*; do ' +
  'if [ -f "$f" ] && [ ! -L "$f" ]; then cp "$f" "$dest/" >> "$AGENTCTL_LOG" 2>&1; fi; done';

/**
 * Agents run under a tiny sh wrapper so their output goes straight to the
 * log file in the workspace as it is produced, whether or not any agentctl
 * process is still watching, and so stdin is the prompt file or nothing
 * (codex waits on an open stdin). The agent argv stays separate arguments:
 * "$@" is never re-parsed by the shell.
 *
 * In a container the wrapper also leaves the exit code in the workspace: the
 * engine removes the container as it exits (no slow removal for agentctl to
 * wait on, and nothing left behind when agentctl dies), taking its exit code
 * with it. The wrapper is PID 1 there, which ignores a signal it has no
 * handler for, so it passes the engine's stop (SIGTERM) on to the agent.
 */
export function wrapContainerArgv(
  argv: readonly string[],
  paths: { log: string; stdin: string | undefined; exitCode: string; setup?: string | undefined; credentials?: string | undefined },
): string[] {
  const agent =
    '"$@" < "$AGENTCTL_STDIN" >> "$AGENTCTL_LOG" 2>&1 & child=$!; ' +
    // A trapped signal cuts `wait` short; wait again until the agent has really ended. (A stop in the instant between
    // the fork and `child=$!` reaches no one; the engine's SIGKILL after the grace still ends the run.) One that ended (and that the
    // shell reaped) before `kill -0` looked still has its status for one more wait (127 there: the shell gave it already).
    'wait "$child"; code=$?; while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done; ' +
    'if [ "$code" -gt 128 ]; then wait "$child"; last=$?; [ "$last" -eq 127 ] || code=$last; fi';
  const copy = paths.credentials === undefined ? '' : `${COPY_CREDENTIALS}; `;
  const script = `child=; stop() { kill -TERM "$child" 2>/dev/null; }; trap stop TERM INT HUP; ${copy}${runAgent(agent, paths.setup)}; ${RECORD_EXIT}; exit "$code"`;
  const setup = paths.setup === undefined ? [] : [`AGENTCTL_SETUP=${paths.setup}`];
  const credentials = paths.credentials === undefined ? [] : [`AGENTCTL_CREDENTIALS=${paths.credentials}`];
  return ['env', ...wrapperEnv(paths), ...setup, ...credentials, 'sh', '-c', script, WRAPPER_NAME, ...argv];
}

/**
 * On the host nobody but our parent could collect the exit code of a
 * detached process, so the wrapper writes it to a file for whichever
 * agentctl process looks next. It also records its own pid first, so a run
 * is found again even if agentctl died right after starting it.
 */
export function wrapHostArgv(
  argv: readonly string[],
  paths: { log: string; stdin: string | undefined; exitCode: string; pid: string; setup?: string | undefined },
): string[] {
  const agent = '"$@" < "$AGENTCTL_STDIN" >> "$AGENTCTL_LOG" 2>&1; code=$?';
  const script = `echo $$ > "$AGENTCTL_PID.tmp" && mv "$AGENTCTL_PID.tmp" "$AGENTCTL_PID"; ${runAgent(agent, paths.setup)}; ${RECORD_EXIT}`;
  return [
    'env',
    ...wrapperEnv(paths),
    `AGENTCTL_PID=${paths.pid}`,
    ...(paths.setup === undefined ? [] : [`AGENTCTL_SETUP=${paths.setup}`]),
    'sh',
    '-c',
    script,
    WRAPPER_NAME,
    ...argv,
  ];
}

/** QA: each command in order, logged with a "$ cmd" header; the failing one is recorded. */
export function wrapQaArgv(commands: readonly string[], paths: { log: string; failed: string }): string[] {
  const script =
    'for c in "$@"; do printf \'\\n$ %s\\n\' "$c"; sh -c "$c" < /dev/null || { code=$?; printf %s "$c" > "$AGENTCTL_QA_FAILED"; exit $code; }; done';
  return ['env', `AGENTCTL_QA_FAILED=${paths.failed}`, `AGENTCTL_QA_LOG=${paths.log}`, 'sh', '-c', `(${script}) >> "$AGENTCTL_QA_LOG" 2>&1`, 'agentctl-qa', ...commands];
}

/**
 * A wrapped command with another agent argv (resume, answer): the wrapper,
 * with its log, setup and credentials, stays as it was; stdin too, unless
 * the new argv carries its whole input (`stdin: false`).
 */
export function replaceAgentArgv(wrapped: readonly string[], argv: readonly string[], options: { stdin: boolean }): string[] {
  const at = wrapped.indexOf(WRAPPER_NAME);
  if (at < 0) throw new Error('not a command agentctl wrapped: no agent argv to replace');
  const wrapper = wrapped.slice(0, at + 1).map((arg) => (!options.stdin && arg.startsWith('AGENTCTL_STDIN=') ? 'AGENTCTL_STDIN=/dev/null' : arg));
  return [...wrapper, ...argv];
}
