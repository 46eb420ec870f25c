import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EMPTY_SCHEDULER_STATE, type SchedulerState } from '../core/schedule/scheduler.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/file-lock.js';

const stateSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  frozen: z.boolean(),
  pools: z.record(
    z.string(),
    z.object({
      fastFails: z.number().int().nonnegative(),
      pausedUntil: z.string().optional(),
      pausedFor: z.string().optional(),
      limitHits: z.number().int().nonnegative().optional(),
    }),
  ),
});

export function stateDir(home: string): string {
  return join(home, 'state');
}

function statePath(home: string): string {
  return join(stateDir(home), 'scheduler.json');
}

export function readSchedulerState(home: string): SchedulerState {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(statePath(home), 'utf8')));
    if (parsed.success) return parsed.data as SchedulerState;
  } catch {
    // missing or unreadable: start from empty
  }
  return { ...EMPTY_SCHEDULER_STATE, pools: {} };
}

export function writeSchedulerState(home: string, state: SchedulerState): void {
  mkdirSync(stateDir(home), { recursive: true });
  writeJsonAtomic(statePath(home), state);
}

/**
 * Every decision to start, queue or cancel a queued run is taken under this
 * one lock, so limits hold across any number of agentctl processes.
 */
export function withSchedulerLock<T>(home: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(join(stateDir(home), 'scheduler'), fn);
}
