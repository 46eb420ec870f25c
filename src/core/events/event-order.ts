/**
 * Events in the order they happened. Every writer stamps an event before it
 * appends it (sometimes after a forge call), and several processes append to
 * the global log at once, so the file's order is only roughly the time order.
 * Sorting by `at` on reading is exact and costs writers no lock. The sort is
 * stable: events of the same instant keep the order they were appended in,
 * and one without a readable time stays right after the event before it.
 */
export function inTimeOrder<T extends Record<string, unknown>>(events: readonly T[]): T[] {
  let previous = Number.NEGATIVE_INFINITY;
  const keyed = events.map((event, index) => {
    const time = typeof event.at === 'string' ? Date.parse(event.at) : Number.NaN;
    if (!Number.isNaN(time)) previous = time;
    return { event, index, time: previous };
  });
  keyed.sort((a, b) => a.time - b.time || a.index - b.index);
  return keyed.map((k) => k.event);
}
