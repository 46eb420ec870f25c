import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import type { AgentEvent } from '../core/events/agent-event.js';
import { applyEvents, EMPTY_PROGRESS, parserFor, splitLines, type RunProgress } from '../core/events/progress.js';
import type { RunStatus } from '../core/run/status.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { appendRunEvent } from './events.js';
import { runFiles } from './run-files.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { openUntrusted } from '../fs/untrusted-file.js';

/** Where reading the agent's log got to, and what it has told us in this run. */
interface IngestState {
  runCount: number;
  offset: number;
  pending: string;
  progress: RunProgress;
  writtenAt: number;
}

/** Read at most this much new output per pass, so a flood cannot stall a tick. */
const MAX_READ_BYTES = 1024 * 1024;
const STATUS_EVERY_MS = 1000;

function statePath(workspace: string): string {
  return workspaceLayout(workspace).ingest;
}

function readState(workspace: string, runCount: number, logSize: number): IngestState {
  try {
    const state = JSON.parse(readFileSync(statePath(workspace), 'utf8')) as IngestState;
    if (state.runCount === runCount && state.offset <= logSize) return state;
    // A new run appends to the same log: carry on from where the last one ended.
    if (state.offset <= logSize) return { runCount, offset: state.offset, pending: '', progress: EMPTY_PROGRESS, writtenAt: 0 };
  } catch {
    // first look at this workspace
  }
  return { runCount, offset: 0, pending: '', progress: EMPTY_PROGRESS, writtenAt: 0 };
}

function readFrom(fd: number, offset: number, length: number): string {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, offset);
  return buffer.subarray(0, read).toString('utf8');
}

/**
 * Turn what the agent printed since the last look into agentctl events
 * (appended to the run's events.jsonl) and progress in the status: the last
 * lines, tokens and cost, turns, session id, denied tools. The status is
 * rewritten at most about once a second, unless `force`.
 */
export function ingestOutput(status: RunStatus, agentBase: string, now: Date, force = false): RunStatus {
  // The log is in the agent's outbox: read only a regular file, never through a link.
  const fd = openUntrusted(runFiles(status.workspace, agentBase, false).log);
  if (fd === undefined) return status;
  try {
    return ingestFrom(fd, status, agentBase, now, force);
  } finally {
    closeSync(fd);
  }
}

function ingestFrom(fd: number, status: RunStatus, agentBase: string, now: Date, force: boolean): RunStatus {
  const size = fstatSync(fd).size;
  const state = readState(status.workspace, status.runCount, size);
  if (size > state.offset) {
    const length = Math.min(size - state.offset, MAX_READ_BYTES);
    const { lines, pending } = splitLines(state.pending, readFrom(fd, state.offset, length));
    const parse = parserFor(agentBase);
    const at = now.toISOString();
    for (const line of lines) {
      if (line.startsWith('=== agentctl run ')) continue;
      let events: AgentEvent[];
      try {
        events = parse(line);
      } catch {
        events = [];
      }
      for (const event of events) appendRunEvent(status.workspace, { ...event, source: 'agent', at, workspace: status.workspace });
      state.progress = applyEvents(state.progress, events);
    }
    state.offset += length;
    state.pending = pending;
  }
  const write = force || now.getTime() - state.writtenAt >= STATUS_EVERY_MS;
  if (write) state.writtenAt = now.getTime();
  writeJsonAtomic(statePath(status.workspace), state);
  if (!write) return status;
  const p = state.progress;
  return {
    ...status,
    progress: p.tail,
    usage: p.inputTokens > 0 || p.outputTokens > 0 || p.costUsd !== undefined ? { inputTokens: p.inputTokens, outputTokens: p.outputTokens, costUsd: p.costUsd } : status.usage,
    turns: p.turns ?? status.turns,
    sessionId: status.sessionId ?? p.sessionId,
    deniedTools: p.deniedTools.length > 0 ? p.deniedTools : status.deniedTools,
  };
}
