import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStatus } from '../core/run/status.js';
export { displayLine } from '../core/text/display-line.js';
import { runFiles } from './run-files.js';
import { metaDir } from './status-store.js';

/**
 * The agent log of a workspace: `.meta/agent-<agent>.log` for the agent in
 * its status, else the most recently written `agent-*.log` (a workspace
 * without a status yet, or one whose agent changed between runs).
 */
export function agentLogPath(workspace: string, status: RunStatus | undefined): string | undefined {
  if (status !== undefined) {
    const path = runFiles(workspace, status.agent.split(':')[0] as string, false).log;
    if (exists(path)) return path;
  }
  let entries: string[];
  try {
    entries = readdirSync(metaDir(workspace)).filter((name) => /^agent-.+\.log$/.test(name));
  } catch {
    return undefined;
  }
  const newest = entries
    .map((name) => ({ path: join(metaDir(workspace), name), mtime: mtimeOf(join(metaDir(workspace), name)) }))
    .sort((a, b) => b.mtime - a.mtime || a.path.localeCompare(b.path))[0];
  return newest?.path;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Read the tail end of a log: its last `max` lines, from at most its last `maxBytes`. */
export function tailLines(path: string, max: number, maxBytes = 256 * 1024): string[] {
  if (max <= 0) return [];
  let text: string;
  try {
    const size = statSync(path).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    text = buffer.toString('utf8');
    // Started mid-file: the first line is probably partial.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
  } catch {
    return [];
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-max).map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
