import { MAX_TEXT_CHARS, type AgentEvent } from './agent-event.js';

/**
 * How much of an agent's output becomes agentctl events. Agent output is
 * untrusted and unbounded; the events log is ours and must stay small
 * (10 MB of output once made 100 MB of events).
 */
export const INGEST_LIMITS = {
  /** Log bytes read in one pass, so a flood cannot stall a tick. */
  chunkBytes: 1024 * 1024,
  /** Log bytes read in one run, at most; past that only the log's last bytes are read, at finish. */
  totalBytes: 32 * 1024 * 1024,
  /** The last bytes of a log read past the total, for the final result and cost. */
  tailBytes: 64 * 1024,
  /** Agent events one run may add to its events log. */
  eventCount: 2000,
  eventBytes: 512 * 1024,
} as const;

export type IngestLimits = { [K in keyof typeof INGEST_LIMITS]: number };

/** What a run has added to its events log so far. */
export interface EventUse {
  count: number;
  bytes: number;
}

/** Whether events of these serialized sizes still fit what the run may add. */
export function fitsBudget(used: EventUse, sizes: readonly number[], limits: Pick<IngestLimits, 'eventCount' | 'eventBytes'>): boolean {
  const bytes = sizes.reduce((sum, size) => sum + size, 0);
  return used.count + sizes.length <= limits.eventCount && used.bytes + bytes <= limits.eventBytes;
}

/**
 * Consecutive text events become one, up to `max` characters: a burst of
 * lines costs one event, not one per line. Whole lines join with a newline;
 * streamed pieces (delta) join each other end to end, never a whole line.
 * Returns the merged event, or undefined when `next` starts a new one.
 */
export function mergeText(last: AgentEvent | undefined, next: AgentEvent, max = MAX_TEXT_CHARS): AgentEvent | undefined {
  if (next.type !== 'text' || last?.type !== 'text' || (last.delta === true) !== (next.delta === true)) return undefined;
  const text = last.delta === true ? `${last.text}${next.text}` : `${last.text}\n${next.text}`;
  return text.length <= max ? { ...last, text } : undefined;
}

/** A list of events with consecutive text merged (see mergeText). */
export function coalesceText(events: readonly AgentEvent[], max = MAX_TEXT_CHARS): AgentEvent[] {
  const out: AgentEvent[] = [];
  for (const event of events) {
    const merged = mergeText(out.at(-1), event, max);
    if (merged === undefined) out.push(event);
    else out[out.length - 1] = merged;
  }
  return out;
}

/** The events of a line that a run's final record needs: how it ended and what it cost. */
export function finalEvents(events: readonly AgentEvent[]): AgentEvent[] {
  return events.some((event) => event.type === 'result' || event.type === 'usage') ? events.filter((event) => event.type === 'result' || event.type === 'usage' || event.type === 'error') : [];
}
