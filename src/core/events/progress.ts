import { MAX_LINE_BYTES, type AgentEvent, type LineParser } from './agent-event.js';
import { parseClaudeLine } from './parse-claude.js';
import { parseCodexLine } from './parse-codex.js';
import { parseGeminiLine, parsePlainLine } from './parse-gemini.js';

export const TAIL_LINES = 20;

/** What a run's output has told us so far. */
export interface RunProgress {
  tail: string[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number | undefined;
  turns: number | undefined;
  sessionId: string | undefined;
  deniedTools: string[];
  /** The last tail line is a streamed message still growing. */
  streaming?: boolean | undefined;
}

export const EMPTY_PROGRESS: RunProgress = { tail: [], inputTokens: 0, outputTokens: 0, costUsd: undefined, turns: undefined, sessionId: undefined, deniedTools: [] };

export function parserFor(agentBase: string): LineParser {
  switch (agentBase) {
    case 'claude':
      return parseClaudeLine;
    case 'codex':
    case 'local':
      return parseCodexLine;
    case 'gemini':
      return parseGeminiLine;
    default:
      return parsePlainLine;
  }
}

function progressLine(event: AgentEvent): string | undefined {
  switch (event.type) {
    case 'text':
      return event.text.split('\n').find((line) => line.trim() !== '')?.trim();
    case 'tool':
      return `tool ${event.name}${event.detail === undefined || event.detail === '' ? '' : `: ${event.detail.split('\n')[0]}`}`;
    case 'error':
      return `error: ${event.message.split('\n')[0]}`;
    case 'started':
      return `started${event.model === undefined ? '' : ` (${event.model})`}`;
    default:
      return undefined;
  }
}

/** Fold events into the progress: a rolling tail, summed usage, turns, session, denied tools. */
export function applyEvents(progress: RunProgress, events: readonly AgentEvent[]): RunProgress {
  const next: RunProgress = { ...progress, tail: [...progress.tail], deniedTools: [...progress.deniedTools], streaming: progress.streaming };
  for (const event of events) {
    // Streamed pieces of one message grow the same progress line instead of each taking one.
    if (event.type === 'text' && event.delta === true) {
      const last = next.tail.length - 1;
      if (next.streaming === true && last >= 0) next.tail[last] = `${next.tail[last]}${event.text.replace(/\n/g, ' ')}`.slice(0, 300);
      else next.tail.push(event.text.replace(/\n/g, ' ').trim().slice(0, 300));
      next.streaming = true;
      continue;
    }
    next.streaming = false;
    const line = progressLine(event);
    if (line !== undefined && line !== '') next.tail.push(line.slice(0, 300));
    if (event.type === 'started' && event.sessionId !== undefined) next.sessionId = event.sessionId;
    if (event.type === 'usage') {
      next.inputTokens = event.cumulative ? event.inputTokens : next.inputTokens + event.inputTokens;
      next.outputTokens = event.cumulative ? event.outputTokens : next.outputTokens + event.outputTokens;
      if (event.costUsd !== undefined) next.costUsd = event.cumulative ? event.costUsd : (next.costUsd ?? 0) + event.costUsd;
    }
    if (event.type === 'result') {
      if (event.turns !== undefined) next.turns = Math.trunc(event.turns);
      if (event.sessionId !== undefined) next.sessionId = event.sessionId;
      for (const tool of event.deniedTools ?? []) if (!next.deniedTools.includes(tool)) next.deniedTools.push(tool);
    }
  }
  next.tail = next.tail.slice(-TAIL_LINES);
  // Hostile or buggy output must not push numbers past what JSON and the status schema hold.
  next.inputTokens = Math.min(Math.trunc(next.inputTokens), Number.MAX_SAFE_INTEGER);
  next.outputTokens = Math.min(Math.trunc(next.outputTokens), Number.MAX_SAFE_INTEGER);
  if (next.costUsd !== undefined) next.costUsd = Math.min(next.costUsd, 1e12);
  next.deniedTools = next.deniedTools.slice(0, 50);
  return next;
}

/**
 * Split newly read output into whole lines, keeping an unfinished last line
 * for next time. A line that grows past the limit is cut and marked, so a
 * hostile agent cannot make us hold unbounded text.
 */
export function splitLines(pending: string, chunk: string): { lines: string[]; pending: string } {
  const parts = (pending + chunk).split('\n');
  let rest = parts.pop() ?? '';
  const lines = parts.map((line) => (line.length > MAX_LINE_BYTES ? `${line.slice(0, MAX_LINE_BYTES)} [truncated]` : line));
  if (rest.length > MAX_LINE_BYTES) {
    lines.push(`${rest.slice(0, MAX_LINE_BYTES)} [truncated]`);
    rest = '';
  }
  return { lines, pending: rest };
}
