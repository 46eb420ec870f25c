import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStatus } from '../core/run/status.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { readUntrustedTail } from '../fs/untrusted-file.js';
export { displayLine } from '../core/text/display-line.js';
import { runFiles } from './run-files.js';

/**
 * The agent log of a workspace: `outbox/agent-<agent>.log` for the agent in
 * its status, else the most recently written `agent-*.log` (a workspace
 * without a status yet, or one whose agent changed between runs).
 */
export function agentLogPath(workspace: string, status: RunStatus | undefined): string | undefined {
  if (status !== undefined) {
    const path = runFiles(workspace, status.agent.split(':')[0] as string, false).log;
    if (exists(path)) return path;
  }
  const outbox = workspaceLayout(workspace).outbox;
  let entries: string[];
  try {
    entries = readdirSync(outbox).filter((name) => /^agent-.+\.log$/.test(name));
  } catch {
    return undefined;
  }
  const newest = entries
    .map((name) => ({ path: join(outbox, name), mtime: mtimeOf(join(outbox, name)) }))
    .sort((a, b) => b.mtime - a.mtime || a.path.localeCompare(b.path))[0];
  return newest?.path;
}

/** The log sits in the agent's outbox: a link there is not the log. */
function exists(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function mtimeOf(path: string): number {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Read the tail end of a log: its last `max` lines, from at most its last `maxBytes`. */
export function tailLines(path: string, max: number, maxBytes = 256 * 1024): string[] {
  if (max <= 0) return [];
  const tail = readUntrustedTail(path, maxBytes);
  if (tail === undefined) return [];
  let text = tail.text;
  // Started mid-file: the first line is probably partial.
  if (tail.truncated) text = text.slice(text.indexOf('\n') + 1);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-max).map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
