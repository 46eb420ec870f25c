import { readFileSync } from 'node:fs';
import type { AgentEvent } from '../core/events/agent-event.js';
import { finalEvents, fitsBudget, INGEST_LIMITS, mergeText, type EventUse, type IngestLimits } from '../core/events/event-budget.js';
import { applyEvents, EMPTY_PROGRESS, parserFor, splitLines, type RunProgress } from '../core/events/progress.js';
import type { RunStatus } from '../core/run/status.js';
import { wholeCharBytes } from '../core/text/utf8-boundary.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import type { OpenEntry, Outbox } from './backend/agent-backend.js';
import { appendRunEvent, type RunEvent } from './events.js';

/** Where reading the agent's log got to, and what it has told us in this run. */
interface IngestState {
  runCount: number;
  offset: number;
  /** Log bytes this run has read, against its total (a log cut short and rewritten does not reset it). */
  read: number;
  pending: string;
  progress: RunProgress;
  writtenAt: number;
  /** Agent events this run has added to its events log. */
  used: EventUse;
  /** Once the run's events reached their cap: the log offset from which output no longer became events. */
  cutAt?: number | undefined;
  /** After the cut, the last result or cost line's events: recorded once, at finish, so the run's end is never lost. */
  late?: AgentEvent[] | undefined;
}

const STATUS_EVERY_MS = 1000;
const NO_USE: EventUse = { count: 0, bytes: 0 };

function readState(path: string, runCount: number, logSize: number): IngestState {
  const fresh = (offset: number): IngestState => ({ runCount, offset, read: 0, pending: '', progress: EMPTY_PROGRESS, writtenAt: 0, used: NO_USE });
  let saved: Partial<IngestState> & { runCount: number; offset: number };
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as typeof saved;
  } catch {
    return fresh(0);
  }
  // A new run appends to the same log: carry on from where the last one ended.
  if (saved.runCount !== runCount) return fresh(saved.offset <= logSize ? saved.offset : 0);
  const state = { ...fresh(0), ...saved, read: saved.read ?? 0, used: saved.used ?? NO_USE };
  // The log was cut short and written again: read it from its start, but the run's caps carry on.
  return state.offset <= logSize ? state : { ...state, offset: 0, pending: '' };
}

/**
 * The log is read in small blocks into one reused buffer: each block's text
 * is short-lived young garbage, so memory stays flat however much is read
 * (megabyte strings would pile up in V8's large-object space until a full GC).
 */
const BLOCK_BYTES = 32 * 1024;

/** Up to `length` bytes at `offset`, as text, and how many bytes that text used. */
function readAt(log: OpenEntry, buffer: Buffer, offset: number, length: number): { text: string; bytes: number } {
  const read = log.readAt(buffer, offset, Math.min(length, buffer.length));
  // A log that shrank under us reads nothing: step over it, and the next look starts the log again.
  if (read === 0) return { text: '', bytes: length };
  const bytes = wholeCharBytes(buffer, read) || read;
  return { text: buffer.toString('utf8', 0, bytes), bytes };
}

/** One look at the log: its descriptor, what is known so far, and how this agent's lines read. */
interface Pass {
  log: OpenEntry;
  buffer: Buffer;
  state: IngestState;
  parse: (line: string) => AgentEvent[];
  at: string;
  workspace: string;
  limits: IngestLimits;
}

function eventLine(pass: Pass, event: AgentEvent): RunEvent {
  return { ...event, source: 'agent', at: pass.at, workspace: pass.workspace };
}

/** The single event that says where the run's output stopped becoming events, and why. */
function cut(pass: Pass, offset: number): void {
  if (pass.state.cutAt !== undefined) return;
  pass.state.cutAt = offset;
  const { eventCount, eventBytes, totalBytes } = pass.limits;
  appendRunEvent(pass.workspace, {
    type: 'output-cut',
    at: pass.at,
    workspace: pass.workspace,
    offset,
    reason: `agent output from byte ${offset} of its log on is not in the events: a run keeps at most ${eventCount} events (${eventBytes} bytes) and reads at most ${totalBytes} bytes of its log`,
  });
}

/**
 * Parse whole lines (the first starting at log offset `from`) into progress,
 * and into events until the run's cap: consecutive text merged, and on the
 * cap one cut event at the first line whose events did not fit.
 */
function ingestLines(pass: Pass, lines: readonly string[], from: number): void {
  const { state } = pass;
  const batch: { event: AgentEvent; from: number }[] = [];
  let lastFinal: { events: AgentEvent[]; from: number } | undefined;
  let offset = from;
  for (const line of lines) {
    const lineFrom = offset;
    offset += Buffer.byteLength(line) + 1;
    if (line.startsWith('=== agentctl run ')) continue;
    let events: AgentEvent[];
    try {
      events = pass.parse(line);
    } catch {
      events = [];
    }
    state.progress = applyEvents(state.progress, events);
    const final = finalEvents(events);
    if (final.length > 0) lastFinal = { events: final, from: lineFrom };
    if (state.cutAt !== undefined) continue;
    for (const event of events) {
      const last = batch.at(-1);
      const merged = mergeText(last?.event, event);
      if (last !== undefined && merged !== undefined) last.event = merged;
      else batch.push({ event, from: lineFrom });
    }
  }
  for (const { event, from: eventFrom } of batch) {
    const line = eventLine(pass, event);
    const size = Buffer.byteLength(JSON.stringify(line)) + 1;
    if (!fitsBudget(state.used, [size], pass.limits)) {
      cut(pass, eventFrom);
      break;
    }
    appendRunEvent(pass.workspace, line);
    state.used = { count: state.used.count + 1, bytes: state.used.bytes + size };
  }
  if (state.cutAt !== undefined && lastFinal !== undefined && lastFinal.from >= state.cutAt) state.late = lastFinal.events;
}

/** A log longer than the run may read: its last bytes, for how the run ended and what it cost. */
function ingestTail(pass: Pass, size: number): void {
  const from = Math.max(pass.state.offset, size - pass.limits.tailBytes);
  // At most tailBytes: one small read.
  const tail = Buffer.alloc(size - from);
  let text = tail.toString('utf8', 0, pass.log.readAt(tail, from, tail.length));
  if (from === pass.state.offset) text = `${pass.state.pending}${text}`;
  else {
    // Started mid-line: that line's start was never read, so it is no line at all.
    const newline = text.indexOf('\n');
    text = newline < 0 ? '' : text.slice(newline + 1);
  }
  ingestLines(pass, text.split('\n'), size - Buffer.byteLength(text));
  pass.state.offset = size;
  pass.state.pending = '';
}

/**
 * Turn what the agent printed since the last look into agentctl events
 * (appended to the run's events log) and progress in the status: the last
 * lines, tokens and cost, turns, session id, denied tools. The log is read
 * with a bound per look and per run, never whole; the status is rewritten
 * at most about once a second.
 *
 * `final` (the agent has ended): read on to the end of the log, up to the
 * run's total, then its last bytes if it is longer, and take a last line
 * without a newline too, so the result and cost are never lost.
 */
export function ingestOutput(status: RunStatus, outbox: Outbox, agentBase: string, now: Date, final = false, limits: IngestLimits = INGEST_LIMITS): RunStatus {
  const log = outbox.open('log');
  if (log === undefined) return status;
  const statePath = workspaceLayout(status.workspace).ingest;
  let state: IngestState;
  try {
    const size = log.size;
    state = readState(statePath, status.runCount, size);
    const pass: Pass = { log, buffer: Buffer.allocUnsafe(BLOCK_BYTES), state, parse: parserFor(agentBase), at: now.toISOString(), workspace: status.workspace, limits };
    // One look reads up to chunkBytes; the final one reads on to the end, up to the run's total.
    for (let looked = 0; state.offset < size && state.read < limits.totalBytes && (final || looked < limits.chunkBytes); ) {
      const from = state.offset - Buffer.byteLength(state.pending);
      const block = readAt(log, pass.buffer, state.offset, Math.min(size - state.offset, limits.totalBytes - state.read));
      const split = splitLines(state.pending, block.text);
      state.offset += block.bytes;
      state.read += block.bytes;
      looked += block.bytes;
      state.pending = split.pending;
      ingestLines(pass, split.lines, from);
    }
    if (state.offset < size && state.read >= limits.totalBytes) cut(pass, state.offset - Buffer.byteLength(state.pending));
    if (final) {
      if (state.offset < size) ingestTail(pass, size);
      else if (state.pending !== '') ingestLines(pass, [state.pending], state.offset - Buffer.byteLength(state.pending));
      state.pending = '';
      for (const event of state.late ?? []) appendRunEvent(status.workspace, eventLine(pass, event));
      state.late = undefined;
    }
  } finally {
    log.close();
  }
  const write = final || now.getTime() - state.writtenAt >= STATUS_EVERY_MS;
  if (write) state.writtenAt = now.getTime();
  writeJsonAtomic(statePath, state);
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
