import { ExitCode, usageError } from '../../core/errors.js';
import type { AgentEvent } from '../../core/events/agent-event.js';
import { hasParsedView, LogView } from '../../core/events/log-view.js';
import { parserFor } from '../../core/events/progress.js';
import type { RunStatus } from '../../core/run/status.js';
import { FileTail, pause } from '../../fs/file-tail.js';
import { agentLogPath, displayLine } from '../../run/agent-log.js';
import { readStatus } from '../../run/status-store.js';
import type { Deps } from '../deps.js';
import { logsOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { stateLabel } from '../render-status.js';
import type { FollowControl } from '../../service/follow-control.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';

const live = (status: RunStatus | undefined) => status?.state === 'running' || status?.state === 'queued';

function noLog(workspace: string, arg: string, status: RunStatus | undefined) {
  const state = status?.state ?? 'not started';
  const hint =
    status?.state === 'queued'
      ? `"agentctl logs -f ${arg}" waits for it to start and follows it`
      : status?.state === 'prepared'
        ? 'a dry run starts no agent; dispatch without --dry-run to run one'
        : '"agentctl status" shows the runs';
  return usageError('no_log', `no agent log in ${workspace} yet: the run is ${state}`, hint);
}

/**
 * Print a run's agent log (outbox/agent-<agent>.log): for claude, codex and
 * gemini as text and tool lines parsed from their events, for other agents
 * (or with --raw) as the agent wrote it. On a terminal, escape sequences and
 * control characters are dropped first; piped, raw bytes go through as they
 * are. --json prints `{"line": …}` per line of the agent's own output. -f
 * keeps printing new output (polling about every 200 ms) until the run has
 * ended and its log is printed to the end, or `control.signal` aborts.
 */
export async function run(raw: unknown, deps: Deps, control: FollowControl = {}): Promise<number> {
  const opts = parseOptions(logsOp.input, raw, 'logs');
  const arg = opts.args[0] as string;
  const workspace = resolveWorkspace(arg, deps);
  let status = readStatus(workspace);
  let path = agentLogPath(workspace, status);
  if (path === undefined && !(opts.follow && live(status))) throw noLog(workspace, arg, status);

  const print = (line: string) => {
    deps.io.out(`${opts.json ? JSON.stringify({ line }) : deps.io.isTTY ? displayLine(line) : line}\n`);
  };
  const agentBase = status?.agent.split(':')[0] ?? '';
  const view = opts.raw || opts.json || !hasParsedView(agentBase) ? undefined : new LogView();
  const parse = parserFor(agentBase);
  const emit = (line: string) => {
    if (view === undefined || line.startsWith('=== agentctl run ')) {
      for (const held of view?.flush() ?? []) print(displayLine(held));
      print(line);
      return;
    }
    let events: AgentEvent[];
    try {
      events = parse(line);
    } catch {
      events = [];
    }
    // Parsed text is the agent's own words: one display line each, piped or not.
    for (const text of view.lines(events)) print(displayLine(text));
  };
  let tail = path === undefined ? undefined : new FileTail(path);
  const finish = () => {
    if (tail === undefined) return;
    tail.drain(emit);
    const rest = tail.flush();
    if (rest !== undefined) emit(rest);
    for (const held of view?.flush() ?? []) print(displayLine(held));
  };
  if (!opts.follow) {
    finish();
    return ExitCode.ok;
  }

  const { signal, intervalMs = 200 } = control;
  if (path === undefined) deps.io.err(`waiting for the run in ${workspace} to start…\n`);
  for (;;) {
    if (tail === undefined) {
      path = agentLogPath(workspace, status);
      if (path !== undefined) tail = new FileTail(path);
    }
    tail?.drain(emit);
    // Whatever the log has once the run is over is all of it.
    status = readStatus(workspace);
    if (!live(status) || signal?.aborted === true) break;
    await pause(intervalMs, signal);
  }
  if (tail === undefined && status !== undefined) {
    path = agentLogPath(workspace, status);
    if (path !== undefined) tail = new FileTail(path);
  }
  finish();
  if (signal?.aborted !== true) deps.io.err(`the run ${status === undefined ? 'has no status' : `is ${stateLabel(status)}`}\n`);
  return ExitCode.ok;
}
