import { processAlive } from '../fs/process-alive.js';
import { readWatchers, type WatcherRecord } from './watch-store.js';

export type WatcherView = WatcherRecord & { running: boolean };


/** The watchers status shows: each one's record, and whether its process still lives (a SIGKILLed one does not). */
export function watchersFor(home: string): WatcherView[] {
  return readWatchers(home, processAlive);
}

/** Lines for status: one per live watcher, one per route with its last and next poll and any backoff. */
export function renderWatchers(watchers: readonly WatcherView[], now: Date): string {
  const live = watchers.filter((w) => w.running);
  if (live.length === 0) return '';
  const ago = (at: string | undefined) => (at === undefined ? '-' : `${Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000))} s ago`);
  const until = (at: string | undefined) => (at === undefined ? '-' : `in ${Math.max(0, Math.round((Date.parse(at) - now.getTime()) / 1000))} s`);
  let out = '';
  for (const w of live) {
    out += `\nwatch: running, pid ${w.pid}${w.once ? ' (--once)' : ''}, since ${w.startedAt}\n`;
    for (const r of w.routes) {
      const backoff = r.failures > 0 ? `; backing off after ${r.failures} failed poll(s): ${r.lastError ?? ''}` : '';
      out += `  ${r.name}: last poll ${ago(r.lastPoll)}, next ${until(r.nextPoll)}${backoff}\n`;
    }
  }
  return out;
}
