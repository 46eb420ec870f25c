import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, lockHeld } from '../fs/file-lock.js';
import { isTerminal, type RunState, type RunStatus } from '../core/run/status.js';
import type { SchedulerState } from '../core/schedule/scheduler.js';
import { watchDelay } from '../core/schedule/watch-delay.js';
import { reconcileRun } from './finish-run.js';
import { launchRun } from './launch-run.js';
import { allStatuses, claimQueued, couldNotStart, launchClaimed, type ClaimedRun } from './queue.js';
import type { RunContext } from './run-context.js';
import { readSchedulerState, stateDir } from './scheduler-store.js';
import { readStatus } from './status-store.js';
import { stopUnclaimedAgents } from './stop-unclaimed.js';

function supervisorLockPath(home: string): string {
  return join(stateDir(home), 'supervisor');
}

export function supervisorAlive(home: string): boolean {
  return lockHeld(supervisorLockPath(home));
}

/** Runs started and finished, as they happen. */
export interface Progress {
  started: RunStatus[];
  finished: RunStatus[];
}

/** What is left: whether a drainer still has work. */
export interface QueueCounts {
  queued: number;
  running: number;
  frozen: boolean;
}

export type TickResult = Progress & QueueCounts;

function countsOf(statuses: readonly RunStatus[], state: SchedulerState): QueueCounts {
  return {
    queued: statuses.filter((s) => s.state === 'queued').length,
    running: statuses.filter((s) => s.state === 'running').length,
    frozen: state.frozen,
  };
}

function idle(counts: QueueCounts): boolean {
  return counts.running === 0 && (counts.queued === 0 || counts.frozen);
}

function finishedAfter(status: RunStatus | undefined): status is RunStatus {
  return status !== undefined && status.state !== 'running' && status.state !== 'queued';
}

/** One pass of the work any agentctl process may do: finish ended runs, enforce timeouts, start queued runs. */
export async function tick(ctx: RunContext): Promise<TickResult> {
  const finished: RunStatus[] = [];
  for (const status of allStatuses(ctx.home)) {
    if (status.state !== 'running') continue;
    try {
      const after = await reconcileRun(status.workspace, ctx);
      if (finishedAfter(after)) finished.push(after);
    } catch (error) {
      ctx.notify(`warning: could not check ${status.workspace}: ${(error as Error).message}`);
    }
  }
  await sweep(ctx);
  const { claimed, statuses, state } = await claimQueued(ctx);
  const started = await launchClaimed(claimed, ctx);
  // A launch that failed has ended its run; only the claimed runs can have changed since the scan.
  const launching = new Set(claimed.map((c) => c.status.workspace));
  const now = statuses.map((s) => (launching.has(s.workspace) ? (readStatus(s.workspace) ?? s) : s));
  return { started, finished, ...countsOf(now, state) };
}

/** Stop agents no run claims, on every engine a run of this state home used; a failure is a warning. */
async function sweep(ctx: RunContext): Promise<void> {
  try {
    await stopUnclaimedAgents(ctx, allStatuses(ctx.home).map((status) => status.runtime));
  } catch (error) {
    ctx.notify(`warning: could not look for agents no run claims: ${(error as Error).message}`);
  }
}

export interface SuperviseTimes {
  /** Between passes over every run (runs other processes started or queued, a pause that ran out). */
  passMs: number;
  /** The longest wait between two looks at one running agent. */
  watchMs: number;
}

const DEFAULT_TIMES: SuperviseTimes = { passMs: 500, watchMs: 150 };

/** How often a supervisor looks for agents no run claims. */
const SWEEP_MS = 5000;

/**
 * Drain the queue and finish runs until nothing is queued or running (or
 * only frozen work is left), reporting starts and ends as they happen. Each
 * running run has its own watcher, so a run is finished the moment its agent
 * is seen to end and the slot it frees is filled at once, instead of at the
 * next pass over every run.
 */
async function superviseUntilIdle(ctx: RunContext, onProgress: (progress: Progress) => void, times: SuperviseTimes = DEFAULT_TIMES): Promise<QueueCounts> {
  /** Runs with a watcher (from the claim on, for the runs this process launches). */
  const watched = new Set<string>();
  let pending = false;
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };

  async function watch(workspace: string): Promise<void> {
    const since = performance.now();
    let failing = false;
    for (;;) {
      await sleep(watchDelay(performance.now() - since, times.watchMs));
      let status: RunStatus | undefined;
      try {
        status = await reconcileRun(workspace, ctx);
      } catch (error) {
        // Looking while the agent exits can fail once (Podman: "read /proc/N/cgroup: no such process"): only a second failure in a row is news.
        if (failing) ctx.notify(`warning: could not check ${workspace}: ${(error as Error).message}`);
        failing = true;
        continue;
      }
      failing = false;
      if (status?.state === 'running') continue;
      if (finishedAfter(status)) onProgress({ started: [], finished: [status] });
      return;
    }
  }

  async function launchAndWatch(claim: ClaimedRun): Promise<void> {
    let started: RunStatus;
    try {
      started = await launchRun(claim.job, claim.status, ctx);
    } catch (error) {
      ctx.notify(couldNotStart(claim.job.workspace, error));
      return;
    }
    onProgress({ started: [started], finished: [] });
    await watch(claim.job.workspace);
  }

  function track(workspace: string, work: Promise<void>): void {
    watched.add(workspace);
    void work
      .catch((error: unknown) => ctx.notify(`warning: stopped watching ${workspace}: ${(error as Error).message}`))
      .finally(() => {
        watched.delete(workspace);
        // Its slot is free (or the run was put back in the queue): fill it now.
        wake();
      });
  }

  let swept = -Infinity;
  for (;;) {
    pending = false;
    if (performance.now() - swept >= SWEEP_MS) {
      swept = performance.now();
      await sweep(ctx);
    }
    const { claimed, statuses, state } = await claimQueued(ctx);
    for (const claim of claimed) track(claim.job.workspace, launchAndWatch(claim));
    // Runs other processes started, or that were running when we began.
    for (const status of statuses) if (status.state === 'running' && !watched.has(status.workspace)) track(status.workspace, watch(status.workspace));
    const counts = countsOf(statuses, state);
    if (watched.size === 0 && idle(counts)) return counts;
    if (!pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, times.passMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    wakeUp = undefined;
  }
}

/** Be the one supervisor: returns undefined at once when another is alive. */
export async function runAsSupervisor(ctx: RunContext, onProgress: (progress: Progress) => void, times?: SuperviseTimes): Promise<QueueCounts | undefined> {
  const release = await acquireLock(supervisorLockPath(ctx.home), { wait: false });
  if (release === undefined) return undefined;
  try {
    return await superviseUntilIdle(ctx, onProgress, times);
  } finally {
    release();
  }
}

/** Starts and ends between two looks at every run, as `run-queue` reports them. */
function changes(before: ReadonlyMap<string, RunState>, statuses: readonly RunStatus[]): Progress {
  return {
    started: statuses.filter((s) => s.state === 'running' && before.get(s.workspace) === 'queued'),
    finished: statuses.filter((s) => isTerminal(s.state) && before.get(s.workspace) === 'running'),
  };
}

/**
 * Drain until nothing is left (`run-queue --follow`) as the one supervisor.
 * While another supervisor is alive, only report what it does (two drainers
 * would just contend for the same locks and runs) and take over if it stops
 * before the work is done.
 */
export async function followQueue(ctx: RunContext, onProgress: (progress: Progress) => void, times: SuperviseTimes = DEFAULT_TIMES): Promise<QueueCounts> {
  let seen: ReadonlyMap<string, RunState> | undefined;
  for (;;) {
    const supervised = await runAsSupervisor(ctx, onProgress, times);
    if (supervised !== undefined) return supervised;
    const statuses = allStatuses(ctx.home);
    if (seen !== undefined) {
      const progress = changes(seen, statuses);
      if (progress.started.length > 0 || progress.finished.length > 0) onProgress(progress);
    }
    seen = new Map(statuses.map((s) => [s.workspace, s.state]));
    const counts = countsOf(statuses, readSchedulerState(ctx.home));
    if (idle(counts)) return counts;
    await sleep(times.passMs);
  }
}

/**
 * Start a detached `agentctl run-queue --supervise` unless one is alive. It
 * inherits our environment (so queued agents get their keys by name, as
 * ours would) and logs to $AGENTCTL_HOME/state/supervisor.log.
 */
export function spawnSupervisor(home: string, env: Record<string, string | undefined>, bin: string): void {
  if (supervisorAlive(home)) return;
  mkdirSync(stateDir(home), { recursive: true });
  const log = openSync(join(stateDir(home), 'supervisor.log'), 'a');
  const child = spawn(process.execPath, [bin, 'run-queue', '--supervise'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...env, AGENTCTL_HOME: home },
  });
  child.unref();
}
