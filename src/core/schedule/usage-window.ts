import type { PoolBackoff } from './scheduler.js';

export interface UsageLimitSettings {
  max_wait_minutes: number;
  backoff_seconds: number;
  max_backoff_minutes: number;
  max_requeues: number;
}

/** Until when a run that met a usage limit waits, and why that long. */
export interface UsageWait {
  until: Date;
  /** 'reset': the time the agent's output named; 'backoff': no usable time was named. */
  by: 'reset' | 'backoff';
  /** The wait was cut to max_wait_minutes (a reset time far off, or a backoff past it). */
  capped: boolean;
}

/** The doubling backoff after `hits` limits in a row in the pool (0 for the first). */
export function limitBackoffMs(hits: number, settings: UsageLimitSettings): number {
  const seconds = Math.min(settings.backoff_seconds * 2 ** Math.min(hits, 30), settings.max_backoff_minutes * 60);
  return seconds * 1000;
}

/**
 * How long to wait: until the named reset time when there is one still to
 * come, else a backoff that doubles with each limit in a row in the pool.
 * The reset time comes from the agent's output, so it is bounded both ways:
 * never past max_wait_minutes, and, after the first limit in a row, never
 * sooner than the backoff, so an agent that names a reset a second away on
 * every run cannot make the queue retry faster than the backoff allows.
 */
export function usageWait(resetAt: Date | undefined, hits: number, settings: UsageLimitSettings, now: Date): UsageWait {
  const cap = now.getTime() + settings.max_wait_minutes * 60_000;
  const reset = resetAt?.getTime();
  const usable = reset !== undefined && Number.isFinite(reset) && reset > now.getTime();
  const floor = usable && hits === 0 ? now.getTime() : now.getTime() + limitBackoffMs(usable ? hits - 1 : hits, settings);
  const wanted = usable ? Math.max(reset, floor) : floor;
  return { until: new Date(Math.min(wanted, cap)), by: usable ? 'reset' : 'backoff', capped: wanted > cap };
}

/**
 * The pool after one of its runs met a usage limit: paused until the run's
 * wait ends (or longer, when it already was), and one more limit in a row.
 */
export function pauseForLimit(backoff: PoolBackoff | undefined, wait: UsageWait, what: string): PoolBackoff {
  const current = backoff?.pausedUntil === undefined ? 0 : new Date(backoff.pausedUntil).getTime();
  const longer = Number.isFinite(current) && current > wait.until.getTime();
  return {
    fastFails: backoff?.fastFails ?? 0,
    pausedUntil: longer ? backoff?.pausedUntil : wait.until.toISOString(),
    pausedFor: longer ? backoff?.pausedFor : what,
    limitHits: (backoff?.limitHits ?? 0) + 1,
  };
}

/** "14:05" today, "Dec 8 14:05" on another day: a wait's end in the host's local time. */
export function formatUntil(until: Date, now: Date): string {
  const time = `${String(until.getHours()).padStart(2, '0')}:${String(until.getMinutes()).padStart(2, '0')}`;
  if (until.toDateString() === now.toDateString()) return time;
  const month = until.toLocaleString('en-US', { month: 'short' });
  const year = until.getFullYear() === now.getFullYear() ? '' : ` ${until.getFullYear()}`;
  return `${month} ${until.getDate()}${year} ${time}`;
}

/** Why a queued run of a pool paused for a usage limit waits (the pool's reason, in words). */
export function usageWaitReason(pool: string, backoff: PoolBackoff, now: Date): string {
  const until = formatUntil(new Date(backoff.pausedUntil as string), now);
  return `waiting for usage window until ${until} (${backoff.pausedFor ?? 'usage limit'}): pool ${pool} is paused; "agentctl pool resume ${pool}" lifts it`;
}
