import { describe, expect, it } from 'vitest';
import { MIN_WATCH_MS, watchDelay } from '../../../src/core/schedule/watch-delay.js';

describe('watchDelay', () => {
  it.each([
    [0, MIN_WATCH_MS],
    [40, MIN_WATCH_MS],
    [200, 50],
    [400, 100],
    [600, 150],
    [60 * 60_000, 150],
  ])('after watching %i ms, waits %i ms (at most 150)', (watched, delay) => {
    expect(watchDelay(watched, 150)).toBe(delay);
  });

  it.each([
    [400, 40],
    [1000, 100],
    [5000, 250],
  ])('with a share of a tenth, after watching %i ms, waits %i ms (at most 250)', (watched, delay) => {
    expect(watchDelay(watched, 250, 1 / 10)).toBe(delay);
  });

  it('never waits longer than the cap, even below the minimum', () => {
    expect(watchDelay(0, 5)).toBe(5);
  });
});
