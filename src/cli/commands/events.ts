import { join } from 'node:path';
import { shortName } from '../../core/dashboard/model.js';
import { ExitCode } from '../../core/errors.js';
import { inTimeOrder } from '../../core/events/event-order.js';
import { FileTail, pause } from '../../fs/file-tail.js';
import { displayLine } from '../../run/agent-log.js';
import { stateHome, type Deps } from '../deps.js';
import { formatFields } from '../format-fields.js';
import { eventsOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import type { FollowControl } from '../../service/follow-control.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';
import { workspaceLayout } from '../../core/workspace/layout.js';

/** The event fields every line shows in its own column. */
const COLUMNS = new Set(['at', 'type', 'workspace', 'source']);

/** `<time> <type> <workspace-short> <details>`: agent events are typed `agent:<type>`, global ones have workspace `-`. */
export function formatEvent(event: Record<string, unknown>, root: string): string {
  const at = typeof event.at === 'string' ? event.at : '-';
  const type = `${event.source === 'agent' ? 'agent:' : ''}${typeof event.type === 'string' ? event.type : '?'}`;
  const workspace = typeof event.workspace === 'string' && event.workspace !== '' ? shortName(event.workspace, root) : '-';
  const details = formatFields(Object.fromEntries(Object.entries(event).filter(([key]) => !COLUMNS.has(key))));
  return displayLine(`${at} ${type} ${workspace}${details === '' ? '' : ` ${details}`}`);
}

function parseEvent(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The global event log ($AGENTCTL_HOME/events.jsonl: queued, started,
 * finished, backoff, forge, pushed, …), or with --workspace one run's own
 * log, which also has what its agent did, in time order. --json prints each
 * event as recorded, one JSON object a line; --follow keeps printing new ones.
 */
export async function run(raw: unknown, deps: Deps, control: FollowControl = {}): Promise<number> {
  const opts = parseOptions(eventsOp.input, raw, 'events');
  const home = stateHome(deps);
  const root = join(home, 'workspace');
  const path = opts.workspace === undefined ? join(home, 'events.jsonl') : workspaceLayout(resolveWorkspace(opts.workspace, deps)).events;
  const tail = new FileTail(path);
  let warned = false;
  let printed = 0;
  const read = (line: string, into: Record<string, unknown>[]) => {
    if (line.trim() === '') return;
    const event = parseEvent(line);
    if (event === undefined) {
      if (!warned) deps.io.err(`warning: skipping unreadable lines in ${path}\n`);
      warned = true;
      return;
    }
    into.push(event);
  };
  const print = (events: Record<string, unknown>[]) => {
    for (const event of inTimeOrder(events)) deps.io.out(`${opts.json ? JSON.stringify(event) : formatEvent(event, root)}\n`);
    printed += events.length;
  };
  const drained = (): Record<string, unknown>[] => {
    const events: Record<string, unknown>[] = [];
    tail.drain((line) => read(line, events));
    return events;
  };
  const backlog = drained();
  if (!opts.follow) {
    const rest = tail.flush();
    if (rest !== undefined) read(rest, backlog);
    print(backlog);
    if (printed === 0 && !warned) deps.io.err(`no events yet (${path})\n`);
    return ExitCode.ok;
  }
  print(backlog);
  // Followed, an event is printed when it is appended: one stamped earlier than those already shown comes after them.
  const { signal, intervalMs = 200 } = control;
  while (signal?.aborted !== true) {
    await pause(intervalMs, signal);
    print(drained());
  }
  return ExitCode.ok;
}
