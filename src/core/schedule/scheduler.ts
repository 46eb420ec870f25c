import type { Config } from '../config/schema.js';
import type { RunState } from '../run/status.js';
import { usageWaitReason } from './usage-window.js';

/** What the scheduler needs to know of each run. */
export interface SchedRun {
  workspace: string;
  pool: string;
  state: RunState;
  priority: number;
  /** Order of queueing; lower first within a priority. */
  seq: number;
}

export interface PoolBackoff {
  /** Fast failures in a row. */
  fastFails: number;
  /** ISO time until which the pool starts nothing. */
  pausedUntil?: string | undefined;
  /** Set when the pause waits for a usage window: whose limit, in our words ("claude usage limit"). */
  pausedFor?: string | undefined;
  /** Usage limits in a row in the pool: the exponent of its backoff (see usageWait). */
  limitHits?: number | undefined;
}

/** $AGENTCTL_HOME/state/scheduler.json */
export interface SchedulerState {
  version: 1;
  seq: number;
  frozen: boolean;
  pools: Record<string, PoolBackoff>;
}

export const EMPTY_SCHEDULER_STATE: SchedulerState = { version: 1, seq: 0, frozen: false, pools: {} };

export interface Limits {
  pool(pool: string): number;
  global: number | undefined;
}

export function limitsFrom(config: Config): Limits {
  return {
    pool: (pool) => (Object.hasOwn(config.pools, pool) ? (config.pools[pool]?.limit ?? config.concurrency.default_limit) : config.concurrency.default_limit),
    global: config.concurrency.global,
  };
}

/** Seconds a pool stays paused, or 0. */
export function pauseLeft(backoff: PoolBackoff | undefined, now: Date): number {
  if (backoff?.pausedUntil === undefined) return 0;
  return Math.max(0, Math.ceil((new Date(backoff.pausedUntil).getTime() - now.getTime()) / 1000));
}

export function formatWait(seconds: number): string {
  return seconds >= 60 ? `${Math.ceil(seconds / 60)}m` : `${seconds}s`;
}

export type Admission = { start: true } | { start: false; reason: string };

/** May a run of `pool` start now, given what is running? */
export function admit(pool: string, runs: readonly SchedRun[], state: SchedulerState, limits: Limits, now: Date): Admission {
  if (state.frozen) return { start: false, reason: 'agentctl is frozen; "agentctl thaw" resumes starting runs' };
  const backoff = state.pools[pool];
  const paused = pauseLeft(backoff, now);
  if (paused > 0 && backoff?.pausedFor !== undefined) return { start: false, reason: usageWaitReason(pool, backoff, now) };
  if (paused > 0) {
    return {
      start: false,
      reason: `pool ${pool} is paused for ${formatWait(paused)} after repeated fast failures; "agentctl pool resume ${pool}" lifts it`,
    };
  }
  const running = runs.filter((run) => run.state === 'running');
  const inPool = running.filter((run) => run.pool === pool).length;
  const limit = limits.pool(pool);
  if (inPool >= limit) return { start: false, reason: `pool ${pool} is at its limit (${inPool} of ${limit} running)` };
  if (limits.global !== undefined && running.length >= limits.global) {
    return { start: false, reason: `the global limit of ${limits.global} running agents is reached` };
  }
  return { start: true };
}

/**
 * May a newly dispatched run start now? As `admit`, and not while runs of its
 * pool wait that come first (same or higher priority): a slot freed a moment
 * ago belongs to them, not to whoever dispatches next.
 */
export function admitNew(pool: string, priority: number, runs: readonly SchedRun[], state: SchedulerState, limits: Limits, now: Date): Admission {
  const admission = admit(pool, runs, state, limits, now);
  if (!admission.start) return admission;
  const ahead = runs.filter((run) => run.state === 'queued' && run.pool === pool && run.priority >= priority).length;
  return ahead === 0 ? admission : { start: false, reason: `${ahead} run${ahead === 1 ? '' : 's'} of pool ${pool} queued first` };
}

/** Queued runs to start now, in the order to start them: priority first, then FIFO. */
export function planStarts(runs: readonly SchedRun[], state: SchedulerState, limits: Limits, now: Date): string[] {
  const queued = runs.filter((run) => run.state === 'queued').sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  const current = runs.map((run) => ({ ...run }));
  const starts: string[] = [];
  for (const run of queued) {
    if (!admit(run.pool, current, state, limits, now).start) continue;
    starts.push(run.workspace);
    const entry = current.find((candidate) => candidate.workspace === run.workspace);
    if (entry !== undefined) entry.state = 'running';
  }
  return starts;
}

export interface BackoffSettings {
  fast_fail_seconds: number;
  threshold: number;
  pause_minutes: number;
}

/**
 * The Go original's rule: a failure within fast_fail_seconds of the start
 * counts; `threshold` in a row pause the pool; anything else resets the count.
 */
export function applyOutcome(
  backoff: PoolBackoff | undefined,
  outcome: { failed: boolean; durationSeconds: number },
  settings: BackoffSettings,
  now: Date,
): { backoff: PoolBackoff; paused: boolean } {
  const fast = outcome.failed && outcome.durationSeconds < settings.fast_fail_seconds;
  // A run that got past its provider ends a row of usage limits; a pause already set stands, with its reason.
  const kept = { pausedUntil: backoff?.pausedUntil, pausedFor: backoff?.pausedFor };
  if (!fast) return { backoff: { fastFails: 0, ...kept }, paused: false };
  const fastFails = (backoff?.fastFails ?? 0) + 1;
  if (fastFails >= settings.threshold) {
    return { backoff: { fastFails: 0, pausedUntil: new Date(now.getTime() + settings.pause_minutes * 60_000).toISOString() }, paused: true };
  }
  return { backoff: { fastFails, ...kept }, paused: false };
}
