import { describe, expect, it } from 'vitest';
import type { RunState } from '../../../src/core/run/status.js';
import { EMPTY_SCHEDULER_STATE, type Limits, type SchedRun, type SchedulerState } from '../../../src/core/schedule/scheduler.js';
import { queuedAhead, waitingNow } from '../../../src/core/schedule/waiting.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const run = (workspace: string, state: RunState, priority = 0, seq = 0, pool = 'codex'): SchedRun => ({ workspace, pool, state, priority, seq });
const limits: Limits = { pool: () => 1, global: undefined };
const state = (overrides: Partial<SchedulerState> = {}): SchedulerState => ({ ...EMPTY_SCHEDULER_STATE, pools: {}, ...overrides });

const me = run('me', 'queued', 0, 5);
const full = [run('a', 'running'), run('b', 'queued', 0, 2), run('c', 'queued', 1, 9), run('d', 'queued', 0, 7), run('e', 'queued', 5, 1, 'other'), me];

describe('waitingNow', () => {
  it('counts the runs of its pool that start first: higher priority, or the same and queued earlier', () => {
    expect(queuedAhead(me, full)).toBe(2);
  });

  it.each<[string, SchedulerState, readonly SchedRun[], string]>([
    ['a full pool', state(), full, 'pool codex is at its limit (1 of 1 running); 2 runs of pool codex queued ahead'],
    ['a freeze names the freeze, not the full pool', state({ frozen: true }), full, 'agentctl is frozen; "agentctl thaw" resumes starting runs; 2 runs of pool codex queued ahead'],
    [
      'a pause says how long and how to lift it',
      state({ pools: { codex: { fastFails: 0, pausedUntil: new Date(NOW.getTime() + 125_000).toISOString() } } }),
      [me],
      'pool codex is paused for 3m after repeated fast failures; "agentctl pool resume codex" lifts it',
    ],
    ['a free slot', state(), [me], 'a slot is free: starting soon'],
    ['a free slot keeps what was said at queueing', state(), [me], 'requeued: the agentctl process that was starting it stopped first'],
    ['a free slot with a run ahead', state(), [run('b', 'queued', 0, 2), me], '1 run of pool codex queued ahead'],
  ])('%s', (title, scheduler, runs, expected) => {
    const stored = title.includes('keeps') ? expected : undefined;
    expect(waitingNow(me, runs, scheduler, limits, NOW, stored)).toBe(expected);
  });
});
