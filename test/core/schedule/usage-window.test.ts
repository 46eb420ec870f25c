import { describe, expect, it } from 'vitest';
import { admit, applyOutcome, EMPTY_SCHEDULER_STATE, type PoolBackoff, type SchedulerState } from '../../../src/core/schedule/scheduler.js';
import { formatUntil, limitBackoffMs, pauseForLimit, usageWait, type UsageLimitSettings } from '../../../src/core/schedule/usage-window.js';

const NOW = new Date('2026-12-07T11:20:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const SETTINGS: UsageLimitSettings = { max_wait_minutes: 1440, backoff_seconds: 60, max_backoff_minutes: 60, max_requeues: 10 };

describe('usageWait', () => {
  it.each<[string, Date | undefined, number, number, 'reset' | 'backoff', boolean]>([
    ['the first limit waits for the named reset, however soon', later(5), 0, 5, 'reset', false],
    ['a reset ten years ahead is capped at max_wait_minutes', later(10 * 365 * 86_400), 0, 86_400, 'reset', true],
    ['a reset in the past falls back to the backoff', later(-600), 0, 60, 'backoff', false],
    ['no reset: the backoff, doubling with each limit in a row', undefined, 0, 60, 'backoff', false],
    ['no reset, third in a row', undefined, 2, 240, 'backoff', false],
    ['no reset, many in a row: max_backoff_minutes', undefined, 40, 3600, 'backoff', false],
    ['a reset a second away, again and again, waits at least the backoff', later(1), 3, 240, 'reset', false],
    ['a reset further than the backoff is kept', later(7200), 3, 7200, 'reset', false],
  ])('%s', (_name, resetAt, hits, seconds, by, capped) => {
    const wait = usageWait(resetAt, hits, SETTINGS, NOW);
    expect(wait).toEqual({ until: later(seconds), by, capped });
  });

  it('caps a backoff longer than max_wait_minutes too', () => {
    expect(usageWait(undefined, 10, { ...SETTINGS, max_wait_minutes: 30 }, NOW)).toEqual({ until: later(1800), by: 'backoff', capped: true });
  });

  it('never overflows, whatever the count', () => {
    expect(limitBackoffMs(10_000, SETTINGS)).toBe(3_600_000);
  });
});

describe('pausing a pool for a usage limit', () => {
  const wait = { until: later(300), by: 'reset', capped: false } as const;

  it('pauses it until the wait ends, names whose limit, and counts the row', () => {
    expect(pauseForLimit(undefined, wait, 'claude usage limit')).toEqual({ fastFails: 0, pausedUntil: later(300).toISOString(), pausedFor: 'claude usage limit', limitHits: 1 });
  });

  it('keeps a longer pause that is already there', () => {
    const paused: PoolBackoff = { fastFails: 2, pausedUntil: later(900).toISOString(), pausedFor: 'codex usage limit', limitHits: 1 };
    expect(pauseForLimit(paused, wait, 'claude usage limit')).toEqual({ ...paused, limitHits: 2 });
  });

  it('stops the pool with the reason and the way to lift it; other pools go on', () => {
    const state: SchedulerState = { ...EMPTY_SCHEDULER_STATE, pools: { claude: pauseForLimit(undefined, wait, 'claude usage limit') } };
    const limits = { pool: () => 2, global: undefined };
    const refused = admit('claude', [], state, limits, NOW);
    expect(refused).toEqual({
      start: false,
      reason: `waiting for usage window until ${formatUntil(later(300), NOW)} (claude usage limit): pool claude is paused; "agentctl pool resume claude" lifts it`,
    });
    expect(admit('codex', [], state, limits, NOW)).toEqual({ start: true });
    expect(admit('claude', [], state, limits, later(301))).toEqual({ start: true });
  });

  it('a run that gets past its provider ends the row, and the pause stands', () => {
    const paused = pauseForLimit({ fastFails: 0, limitHits: 3 }, wait, 'claude usage limit');
    const after = applyOutcome(paused, { failed: false, durationSeconds: 100 }, { fast_fail_seconds: 60, threshold: 3, pause_minutes: 30 }, NOW).backoff;
    expect(after).toEqual({ fastFails: 0, pausedUntil: paused.pausedUntil, pausedFor: 'claude usage limit' });
  });
});

describe('formatUntil', () => {
  it('says the time alone today, with the date on another day', () => {
    expect(formatUntil(later(60), NOW)).toMatch(/^\d\d:\d\d$/);
    expect(formatUntil(later(3 * 86_400), NOW)).toMatch(/^Dec 10 \d\d:\d\d$/);
    expect(formatUntil(later(400 * 86_400), NOW)).toMatch(/^Jan \d+ 2028 \d\d:\d\d$/);
  });
});
