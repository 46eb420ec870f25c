/** The shortest wait between two looks at a running agent. */
export const MIN_WATCH_MS = 10;

/**
 * How long a supervisor waits before it looks at a running agent again,
 * given how long it has watched it. A freed slot stays idle until the end is
 * seen, so a young run is looked at often (short runs are where that gap
 * weighs); the wait grows with the run's age, up to `maxMs`, so that long
 * runs cost the engine no more than a look every `maxMs`. `share`: the
 * wait as a share of the age, so the end is seen at most that much late.
 */
export function watchDelay(watchedMs: number, maxMs: number, share = 1 / 4): number {
  return Math.min(maxMs, Math.max(MIN_WATCH_MS, Math.round(watchedMs * share)));
}
