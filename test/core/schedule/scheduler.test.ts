import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/core/config/schema.js';
import type { RunState } from '../../../src/core/run/status.js';
import {
  admit,
  admitNew,
  applyOutcome,
  EMPTY_SCHEDULER_STATE,
  formatWait,
  limitsFrom,
  pauseLeft,
  planStarts,
  type Admission,
  type BackoffSettings,
  type Limits,
  type PoolBackoff,
  type SchedRun,
  type SchedulerState,
} from '../../../src/core/schedule/scheduler.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');
/** NOW plus some seconds, as an ISO string. */
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

const run = (workspace: string, pool: string, state: RunState, priority = 0, seq = 0): SchedRun => ({ workspace, pool, state, priority, seq });
const running = (workspace: string, pool: string) => run(workspace, pool, 'running');
const queued = (workspace: string, pool: string, priority: number, seq: number) => run(workspace, pool, 'queued', priority, seq);

function limits(pools: Record<string, number>, global?: number, defaultLimit = 1): Limits {
  return { pool: (pool) => pools[pool] ?? defaultLimit, global };
}

function state(overrides: Partial<SchedulerState> = {}): SchedulerState {
  return { ...EMPTY_SCHEDULER_STATE, pools: {}, ...overrides };
}

const FROZEN = 'agentctl is frozen; "agentctl thaw" resumes starting runs';
const paused = (pool: string, wait: string) =>
  `pool ${pool} is paused for ${wait} after repeated fast failures; "agentctl pool resume ${pool}" lifts it`;

describe('admit', () => {
  it.each<[string, string, SchedRun[], SchedulerState, Limits, Admission]>([
    ['an empty pool: start', 'codex', [], state(), limits({}), { start: true }],
    ['frozen, even with free slots', 'codex', [], state({ frozen: true }), limits({ codex: 5 }), { start: false, reason: FROZEN }],
    [
      'frozen wins over a paused pool',
      'codex',
      [],
      state({ frozen: true, pools: { codex: { fastFails: 0, pausedUntil: at(600) } } }),
      limits({}),
      { start: false, reason: FROZEN },
    ],
    [
      'paused with 30 minutes left',
      'codex',
      [],
      state({ pools: { codex: { fastFails: 0, pausedUntil: at(1800) } } }),
      limits({ codex: 2 }),
      { start: false, reason: paused('codex', '30m') },
    ],
    [
      'paused with 90 s left: rounded up to minutes',
      'codex',
      [],
      state({ pools: { codex: { fastFails: 0, pausedUntil: at(90) } } }),
      limits({}),
      { start: false, reason: paused('codex', '2m') },
    ],
    [
      'paused with 45 s left: in seconds',
      'codex',
      [],
      state({ pools: { codex: { fastFails: 0, pausedUntil: at(45) } } }),
      limits({}),
      { start: false, reason: paused('codex', '45s') },
    ],
    [
      'a pause that has run out: start',
      'codex',
      [],
      state({ pools: { codex: { fastFails: 0, pausedUntil: at(-1) } } }),
      limits({}),
      { start: true },
    ],
    [
      'another pool paused: start',
      'codex',
      [],
      state({ pools: { claude: { fastFails: 0, pausedUntil: at(600) } } }),
      limits({}),
      { start: true },
    ],
    [
      'pool at its limit',
      'codex',
      [running('/a', 'codex'), running('/b', 'codex')],
      state(),
      limits({ codex: 2 }),
      { start: false, reason: 'pool codex is at its limit (2 of 2 running)' },
    ],
    [
      'pool over its limit (lowered in the config)',
      'codex',
      [running('/a', 'codex'), running('/b', 'codex'), running('/c', 'codex')],
      state(),
      limits({ codex: 1 }),
      { start: false, reason: 'pool codex is at its limit (3 of 1 running)' },
    ],
    [
      'one below the pool limit: start',
      'codex',
      [running('/a', 'codex'), queued('/b', 'codex', 0, 1), queued('/c', 'codex', 0, 2)],
      state(),
      limits({ codex: 2 }),
      { start: true },
    ],
    [
      'runs of other pools and ended runs do not count against the pool',
      'codex',
      [running('/a', 'claude'), run('/b', 'codex', 'completed'), run('/c', 'codex', 'failed'), run('/d', 'codex', 'cancelled')],
      state(),
      limits({}),
      { start: true },
    ],
    [
      'global limit reached across pools',
      'gemini',
      [running('/a', 'codex'), running('/b', 'claude'), running('/c', 'codex')],
      state(),
      limits({ codex: 2, gemini: 1 }, 3, 5),
      { start: false, reason: 'the global limit of 3 running agents is reached' },
    ],
    [
      'pool limit is reported before the global one',
      'codex',
      [running('/a', 'codex'), running('/b', 'claude')],
      state(),
      limits({ codex: 1 }, 2),
      { start: false, reason: 'pool codex is at its limit (1 of 1 running)' },
    ],
    ['below the global limit: start', 'gemini', [running('/a', 'codex'), running('/b', 'claude')], state(), limits({}, 3), { start: true }],
  ])('%s', (_name, pool, runs, schedulerState, poolLimits, expected) => {
    expect(admit(pool, runs, schedulerState, poolLimits, NOW)).toEqual(expected);
  });
});

describe('admitNew', () => {
  it.each<[string, number, SchedRun[], SchedulerState, Limits, Admission]>([
    ['nothing queued, a free slot: start', 0, [running('/a', 'codex')], state(), limits({ codex: 2 }), { start: true }],
    [
      'a free slot, but a run of the pool waits: queue behind it',
      0,
      [running('/a', 'codex'), queued('/b', 'codex', 0, 1)],
      state(),
      limits({ codex: 2 }),
      { start: false, reason: '1 run of pool codex queued first' },
    ],
    [
      'runs waiting at a higher priority come first too',
      3,
      [queued('/b', 'codex', 5, 1), queued('/c', 'codex', 3, 2), queued('/d', 'codex', 0, 3)],
      state(),
      limits({ codex: 2 }),
      { start: false, reason: '2 runs of pool codex queued first' },
    ],
    ['a higher priority than every waiting run: start', 6, [queued('/b', 'codex', 5, 1)], state(), limits({ codex: 2 }), { start: true }],
    ['runs waiting in other pools do not hold it back', 0, [queued('/b', 'claude', 0, 1)], state(), limits({ codex: 1, claude: 0 }), { start: true }],
    [
      'the pool limit is reported before the runs waiting',
      0,
      [running('/a', 'codex'), queued('/b', 'codex', 0, 1)],
      state(),
      limits({ codex: 1 }),
      { start: false, reason: 'pool codex is at its limit (1 of 1 running)' },
    ],
    ['frozen is reported before the runs waiting', 0, [queued('/b', 'codex', 0, 1)], state({ frozen: true }), limits({ codex: 2 }), { start: false, reason: FROZEN }],
  ])('%s', (_name, priority, runs, schedulerState, poolLimits, expected) => {
    expect(admitNew('codex', priority, runs, schedulerState, poolLimits, NOW)).toEqual(expected);
  });
});

describe('planStarts', () => {
  it.each<[string, SchedRun[], SchedulerState, Limits, string[]]>([
    ['nothing queued', [running('/a', 'codex')], state(), limits({ codex: 5 }), []],
    [
      'priority first, then FIFO by seq',
      [queued('/a', 'codex', 0, 3), queued('/b', 'codex', 5, 4), queued('/c', 'codex', 0, 1), queued('/d', 'codex', 5, 2), queued('/e', 'codex', -3, 0)],
      state(),
      limits({ codex: 10 }),
      ['/d', '/b', '/c', '/a', '/e'],
    ],
    [
      'the pool limit holds while planning several: one free slot, three queued',
      [running('/r', 'codex'), queued('/a', 'codex', 0, 3), queued('/b', 'codex', 0, 1), queued('/c', 'codex', 0, 2)],
      state(),
      limits({ codex: 2 }),
      ['/b'],
    ],
    [
      'each pool fills up to its own limit',
      [queued('/a', 'codex', 0, 1), queued('/b', 'codex', 0, 2), queued('/c', 'codex', 0, 3), queued('/d', 'claude', 0, 4), queued('/e', 'claude', 0, 5)],
      state(),
      limits({ codex: 2, claude: 1 }),
      ['/a', '/b', '/d'],
    ],
    [
      'the global limit holds while planning several',
      [running('/r', 'codex'), queued('/a', 'codex', 0, 1), queued('/b', 'claude', 0, 2), queued('/c', 'gemini', 0, 3), queued('/d', 'codex', 0, 4)],
      state(),
      limits({}, 3, 5),
      ['/a', '/b'],
    ],
    [
      'a full pool does not hold up a lower-priority run of another pool',
      [running('/r', 'codex'), queued('/a', 'codex', 9, 1), queued('/b', 'claude', 0, 2)],
      state(),
      limits({ codex: 1, claude: 1 }),
      ['/b'],
    ],
    [
      'a paused pool is skipped, the others start',
      [queued('/a', 'codex', 9, 1), queued('/b', 'claude', 0, 2), queued('/c', 'codex', 0, 3), queued('/d', 'gemini', 0, 4)],
      state({ pools: { codex: { fastFails: 0, pausedUntil: at(1800) } } }),
      limits({}, undefined, 2),
      ['/b', '/d'],
    ],
    [
      'frozen: nothing starts',
      [queued('/a', 'codex', 0, 1), queued('/b', 'claude', 0, 2)],
      state({ frozen: true }),
      limits({}, undefined, 5),
      [],
    ],
    [
      'ended runs take no slot',
      [run('/x', 'codex', 'failed'), run('/y', 'codex', 'completed'), queued('/a', 'codex', 0, 1), queued('/b', 'codex', 0, 2)],
      state(),
      limits({ codex: 1 }),
      ['/a'],
    ],
  ])('%s', (_name, runs, schedulerState, poolLimits, expected) => {
    expect(planStarts(runs, schedulerState, poolLimits, NOW)).toEqual(expected);
  });

  it('does not change the runs it is given', () => {
    const runs = [queued('/a', 'codex', 0, 1)];
    planStarts(runs, state(), limits({}), NOW);
    expect(runs).toEqual([queued('/a', 'codex', 0, 1)]);
  });
});

describe('applyOutcome', () => {
  const settings: BackoffSettings = { fast_fail_seconds: 60, threshold: 3, pause_minutes: 30 };
  const earlier = at(-5);
  it.each<[string, PoolBackoff | undefined, { failed: boolean; durationSeconds: number }, { backoff: PoolBackoff; paused: boolean }]>([
    ['first fast failure counts', undefined, { failed: true, durationSeconds: 2 }, { backoff: { fastFails: 1, pausedUntil: undefined }, paused: false }],
    ['second fast failure counts', { fastFails: 1 }, { failed: true, durationSeconds: 59.9 }, { backoff: { fastFails: 2, pausedUntil: undefined }, paused: false }],
    [
      'the threshold pauses the pool for pause_minutes and resets the count',
      { fastFails: 2 },
      { failed: true, durationSeconds: 0 },
      { backoff: { fastFails: 0, pausedUntil: at(1800) }, paused: true },
    ],
    [
      'a fast failure below the threshold keeps an old pausedUntil',
      { fastFails: 0, pausedUntil: earlier },
      { failed: true, durationSeconds: 1 },
      { backoff: { fastFails: 1, pausedUntil: earlier }, paused: false },
    ],
    [
      'a failure exactly at fast_fail_seconds is slow: resets',
      { fastFails: 2 },
      { failed: true, durationSeconds: 60 },
      { backoff: { fastFails: 0, pausedUntil: undefined }, paused: false },
    ],
    ['a slow failure resets', { fastFails: 2 }, { failed: true, durationSeconds: 600 }, { backoff: { fastFails: 0, pausedUntil: undefined }, paused: false }],
    ['a fast success resets', { fastFails: 2 }, { failed: false, durationSeconds: 1 }, { backoff: { fastFails: 0, pausedUntil: undefined }, paused: false }],
    ['a success with no history', undefined, { failed: false, durationSeconds: 100 }, { backoff: { fastFails: 0, pausedUntil: undefined }, paused: false }],
    [
      'a reset keeps pausedUntil',
      { fastFails: 1, pausedUntil: earlier },
      { failed: false, durationSeconds: 5 },
      { backoff: { fastFails: 0, pausedUntil: earlier }, paused: false },
    ],
  ])('%s', (_name, backoff, outcome, expected) => {
    expect(applyOutcome(backoff, outcome, settings, NOW)).toEqual(expected);
  });

  it.each<[string, BackoffSettings, PoolBackoff | undefined, { backoff: PoolBackoff; paused: boolean }]>([
    ['threshold 1 pauses on the first fast failure', { fast_fail_seconds: 120, threshold: 1, pause_minutes: 5 }, undefined, { backoff: { fastFails: 0, pausedUntil: at(300) }, paused: true }],
    ['a longer fast window counts a 100 s failure', { fast_fail_seconds: 120, threshold: 3, pause_minutes: 30 }, { fastFails: 0 }, { backoff: { fastFails: 1, pausedUntil: undefined }, paused: false }],
    ['fast_fail_seconds 0 counts nothing', { fast_fail_seconds: 0, threshold: 1, pause_minutes: 30 }, { fastFails: 0 }, { backoff: { fastFails: 0, pausedUntil: undefined }, paused: false }],
  ])('settings: %s', (_name, custom, backoff, expected) => {
    expect(applyOutcome(backoff, { failed: true, durationSeconds: 100 }, custom, NOW)).toEqual(expected);
  });
});

describe('pauseLeft', () => {
  it.each<[string, PoolBackoff | undefined, number]>([
    ['no backoff', undefined, 0],
    ['no pause', { fastFails: 2 }, 0],
    ['a pause in the past', { fastFails: 0, pausedUntil: at(-60) }, 0],
    ['a pause ending now', { fastFails: 0, pausedUntil: at(0) }, 0],
    ['30 minutes', { fastFails: 0, pausedUntil: at(1800) }, 1800],
    ['part of a second rounds up', { fastFails: 0, pausedUntil: at(1.2) }, 2],
  ])('%s', (_name, backoff, expected) => {
    expect(pauseLeft(backoff, NOW)).toBe(expected);
  });
});

describe('formatWait', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [1, '1s'],
    [59, '59s'],
    [60, '1m'],
    [61, '2m'],
    [1799, '30m'],
    [1800, '30m'],
    [7200, '120m'],
  ])('%i s → %s', (seconds, expected) => {
    expect(formatWait(seconds)).toBe(expected);
  });
});

describe('limitsFrom', () => {
  it.each<[string, Record<string, unknown>, Array<[string, number]>, number | undefined]>([
    ['defaults: every pool 1, no global limit', {}, [['codex', 1], ['claude', 1]], undefined],
    ['a pool entry sets that pool only', { pools: { codex: { limit: 3 } } }, [['codex', 3], ['claude', 1]], undefined],
    [
      'default_limit for pools without an entry, and global',
      { pools: { codex: { limit: 2 } }, concurrency: { default_limit: 4, global: 5 } },
      [['codex', 2], ['gemini', 4]],
      5,
    ],
    ['names on Object.prototype are not pools', { concurrency: { default_limit: 2 } }, [['constructor', 2], ['toString', 2], ['__proto__', 2]], undefined],
  ])('%s', (_name, raw, expectedPools, expectedGlobal) => {
    const result = limitsFrom(configSchema.parse(raw));
    expect(expectedPools.map(([pool]) => [pool, result.pool(pool)])).toEqual(expectedPools);
    expect(result.global).toBe(expectedGlobal);
  });
});
