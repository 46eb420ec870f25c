import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { workspaceLayout } from '../core/workspace/layout.js';

export interface RunEvent {
  type: string;
  at: string;
  workspace: string;
  [key: string]: unknown;
}

const MAX_EVENT_BYTES = 16 * 1024;

function append(path: string, event: RunEvent): void {
  mkdirSync(dirname(path), { recursive: true });
  let line = JSON.stringify(event);
  if (Buffer.byteLength(line) > MAX_EVENT_BYTES) line = JSON.stringify({ ...event, truncated: true, message: undefined, text: undefined });
  // One write of one line; appends of lines this small are not interleaved.
  appendFileSync(path, `${line}\n`);
}

/** Record a lifecycle event in the run's own log and the global one. */
export function recordEvent(home: string, event: RunEvent): void {
  append(workspaceLayout(event.workspace).events, event);
  append(join(home, 'events.jsonl'), event);
}

/** An event about agentctl as a whole (freeze, thaw, pool resume): global log only. */
export function recordGlobalEvent(home: string, event: { type: string; at: string; [key: string]: unknown }): void {
  append(join(home, 'events.jsonl'), { ...event, workspace: '' });
}

/** An event of one run only (agent output): the run's own log, not the global one. */
export function appendRunEvent(workspace: string, event: RunEvent): void {
  append(workspaceLayout(workspace).events, event);
}
