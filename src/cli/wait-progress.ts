import type { RunStatus } from '../core/run/status.js';
import { displayLine, displayText } from '../core/text/display-line.js';
import type { IO } from './io.js';
import { elapsedSeconds, formatDuration } from './render-status.js';

export type WaitPhase = 'preparing' | 'cloning' | 'queued' | 'starting' | 'running';

/** What `--wait` shows while it waits: the phase, and on a terminal a live line of what the agent is doing. */
export interface WaitReporter {
  phase(phase: WaitPhase, detail?: string): void;
  /** Entering a phase with a line of its own to say it ("started … in …"): a timestamped line off a terminal. */
  announce(phase: WaitPhase, line: string, detail?: string): void;
  /** A status line for a person (the run context's notify): printed above the live line. */
  note(line: string): void;
  /** The run as followRun last saw it; `waiting` says why a queued run waits, as things stand now. */
  observe(status: RunStatus, waiting?: string): void;
  /** Remove the live line, before the summary. */
  close(): void;
}

/** The live line: phase, elapsed time, cost and turns so far, and the agent's latest progress line (its own words). */
export function liveText(phase: WaitPhase, detail: string | undefined, status: RunStatus | undefined, now: Date): string {
  if (phase !== 'running' || status === undefined) return `${phase}${detail === undefined ? '' : `: ${detail}`}`;
  const parts = [`running ${formatDuration(elapsedSeconds(status, now))}`];
  if (status.usage?.costUsd !== undefined) parts.push(`$${status.usage.costUsd.toFixed(2)}`);
  if (status.turns !== undefined) parts.push(`${status.turns} turns`);
  const last = status.progress?.at(-1);
  if (last !== undefined) parts.push(displayLine(last));
  return parts.join(' · ');
}

/** "2026-12-07T05:40:01Z": the time a plain phase line carries. */
export function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * On a terminal (and without --json), one status line rewritten in place on
 * stderr. Otherwise a plain timestamped line on stderr at each change of
 * phase (or of why a queued run waits): a log or CI reads them in order.
 */
export function waitReporter(io: IO, clock: { now(): Date }, json: boolean): WaitReporter {
  const live = json ? undefined : io.statusLine;
  let phase: WaitPhase | undefined;
  let detail: string | undefined;
  let last: RunStatus | undefined;
  let shown = false;
  const draw = () => {
    if (live === undefined || phase === undefined) return;
    live(liveText(phase, detail, last, clock.now()));
    shown = true;
  };
  const print = (line: string) => {
    if (live === undefined) io.err(`[${stamp(clock.now())}] ${line}\n`);
    else {
      if (shown) live('');
      io.err(`${line}\n`);
    }
  };
  const change = (next: WaitPhase, nextDetail: string | undefined) => {
    if (next === phase && nextDetail === detail) return;
    phase = next;
    detail = nextDetail;
    if (live === undefined) print(`${next}${nextDetail === undefined ? '' : `: ${displayLine(nextDetail)}`}`);
  };
  return {
    phase(next, nextDetail) {
      change(next, nextDetail);
      draw();
    },
    announce(next, line, nextDetail) {
      phase = next;
      detail = nextDetail;
      print(line);
      draw();
    },
    note(line) {
      if (shown && live !== undefined) live('');
      io.err(`${displayText(line)}\n`);
      draw();
    },
    observe(status, waiting) {
      last = status;
      if (status.state === 'queued') change('queued', waiting ?? status.waitingFor);
      else if (status.state === 'running') change(status.containerId === undefined && status.pid === undefined ? 'starting' : 'running', phase === 'running' ? detail : where(status));
      draw();
    },
    close() {
      if (shown && live !== undefined) live('');
      shown = false;
    },
  };
}

function where(status: RunStatus): string | undefined {
  if (status.containerId !== undefined) return `${status.agent} in ${status.runtime} container ${status.containerId.slice(0, 12)}`;
  if (status.pid !== undefined) return `${status.agent} as host process ${status.pid}`;
  return undefined;
}
