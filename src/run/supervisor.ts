import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, lockHeld } from '../fs/file-lock.js';
import type { RunStatus } from '../core/run/status.js';
import { reconcileRun } from './finish-run.js';
import { allStatuses, drainQueue } from './queue.js';
import type { RunContext } from './run-context.js';
import { readSchedulerState, stateDir } from './scheduler-store.js';

function supervisorLockPath(home: string): string {
  return join(stateDir(home), 'supervisor');
}

export function supervisorAlive(home: string): boolean {
  return lockHeld(supervisorLockPath(home));
}

export interface TickResult {
  started: RunStatus[];
  finished: RunStatus[];
  queued: number;
  running: number;
  frozen: boolean;
}

/** One pass of the work any agentctl process may do: finish ended runs, enforce timeouts, start queued runs. */
export async function tick(ctx: RunContext): Promise<TickResult> {
  const finished: RunStatus[] = [];
  for (const status of allStatuses(ctx.home)) {
    if (status.state !== 'running') continue;
    try {
      const after = await reconcileRun(status.workspace, ctx);
      if (after !== undefined && after.state !== 'running' && after.state !== 'queued') finished.push(after);
    } catch (error) {
      ctx.notify(`warning: could not check ${status.workspace}: ${(error as Error).message}`);
    }
  }
  const started = await drainQueue(ctx);
  const statuses = allStatuses(ctx.home);
  return {
    started,
    finished,
    queued: statuses.filter((s) => s.state === 'queued').length,
    running: statuses.filter((s) => s.state === 'running').length,
    frozen: readSchedulerState(ctx.home).frozen,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Drain the queue and finish runs until nothing is queued or running (or
 * only frozen work is left), reporting each pass.
 */
export async function superviseUntilIdle(ctx: RunContext, onTick: (result: TickResult) => void, intervalMs = 150): Promise<void> {
  for (;;) {
    const result = await tick(ctx);
    onTick(result);
    if (result.running === 0 && (result.queued === 0 || result.frozen)) return;
    await sleep(intervalMs);
  }
}

/** Be the one supervisor: returns false at once when another is alive. */
export async function runAsSupervisor(ctx: RunContext, onTick: (result: TickResult) => void): Promise<boolean> {
  const release = await acquireLock(supervisorLockPath(ctx.home), { wait: false });
  if (release === undefined) return false;
  try {
    await superviseUntilIdle(ctx, onTick);
  } finally {
    release();
  }
  return true;
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
