import { admit, type Limits, type SchedRun, type SchedulerState } from './scheduler.js';

/** Queued runs that start before `run`: higher priority, or the same and queued earlier (the order planStarts uses). */
export function queuedAhead(run: SchedRun, runs: readonly SchedRun[]): number {
  return runs.filter(
    (other) => other.state === 'queued' && other.pool === run.pool && other.workspace !== run.workspace && (other.priority > run.priority || (other.priority === run.priority && other.seq < run.seq)),
  ).length;
}

/**
 * Why a queued run waits, as things stand now rather than when it was queued:
 * a freeze or a pool's pause (with the time left and the command that lifts
 * it) before a full pool, then how many runs of its pool come first.
 */
export function waitingNow(run: SchedRun, runs: readonly SchedRun[], state: SchedulerState, limits: Limits, now: Date): string {
  const ahead = queuedAhead(run, runs);
  const behind = ahead === 0 ? '' : `; ${ahead} run${ahead === 1 ? '' : 's'} of pool ${run.pool} queued ahead`;
  const admission = admit(run.pool, runs, state, limits, now);
  if (!admission.start) return `${admission.reason}${behind}`;
  return ahead === 0 ? 'a slot is free: starting soon' : `${ahead} run${ahead === 1 ? '' : 's'} of pool ${run.pool} queued ahead`;
}
