import type { RunStatus } from '../run/status.js';
import { admit, type Limits, type SchedRun, type SchedulerState } from './scheduler.js';

/** What the scheduler needs to know of a run's status. */
export function schedRunOf(status: RunStatus): SchedRun {
  return { workspace: status.workspace, pool: status.pool, state: status.state, priority: status.priority ?? 0, seq: status.seq ?? 0 };
}

/** The statuses with each queued run's waitingFor told afresh (see waitingNow). */
export function withWaitingNow(statuses: readonly RunStatus[], state: SchedulerState, limits: Limits, now: Date): RunStatus[] {
  const runs = statuses.map(schedRunOf);
  return statuses.map((s) => (s.state === 'queued' ? { ...s, waitingFor: waitingNow(schedRunOf(s), runs, state, limits, now, s.waitingFor) } : s));
}

/** Queued runs that start before `run`: higher priority, or the same and queued earlier (the order planStarts uses). */
export function queuedAhead(run: SchedRun, runs: readonly SchedRun[]): number {
  return runs.filter(
    (other) => other.state === 'queued' && other.pool === run.pool && other.workspace !== run.workspace && (other.priority > run.priority || (other.priority === run.priority && other.seq < run.seq)),
  ).length;
}

/**
 * Why a queued run waits, as things stand now rather than when it was queued:
 * a freeze or a pool's pause (with the time left and the command that lifts
 * it) before a full pool, then how many runs of its pool come first. With
 * nothing in its way, what was said when it was queued (`stored`) stands.
 */
export function waitingNow(run: SchedRun, runs: readonly SchedRun[], state: SchedulerState, limits: Limits, now: Date, stored?: string): string {
  const ahead = queuedAhead(run, runs);
  const behind = ahead === 0 ? '' : `; ${ahead} run${ahead === 1 ? '' : 's'} of pool ${run.pool} queued ahead`;
  const admission = admit(run.pool, runs, state, limits, now);
  if (!admission.start) return `${admission.reason}${behind}`;
  if (ahead > 0) return `${ahead} run${ahead === 1 ? '' : 's'} of pool ${run.pool} queued ahead`;
  return stored ?? 'a slot is free: starting soon';
}
