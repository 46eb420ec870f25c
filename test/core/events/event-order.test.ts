import { describe, expect, it } from 'vitest';
import { inTimeOrder } from '../../../src/core/events/event-order.js';

const ev = (id: string, at?: unknown) => (at === undefined ? { id } : { id, at });

describe('inTimeOrder', () => {
  it.each<[string, Record<string, unknown>[], string[]]>([
    ['already in order', [ev('a', '2026-01-01T00:00:01Z'), ev('b', '2026-01-01T00:00:02Z')], ['a', 'b']],
    ['appended late', [ev('a', '2026-01-01T00:00:01Z'), ev('c', '2026-01-01T00:00:03Z'), ev('b', '2026-01-01T00:00:02Z')], ['a', 'b', 'c']],
    ['same instant: as appended', [ev('x', '2026-01-01T00:00:05.000Z'), ev('y', '2026-01-01T00:00:05.000Z'), ev('w', '2026-01-01T00:00:04Z')], ['w', 'x', 'y']],
    ['other offsets compare as instants', [ev('late', '2026-01-01T02:00:00+01:00'), ev('early', '2026-01-01T00:30:00Z')], ['early', 'late']],
    ['no readable time: stays after the one before it', [ev('b', '2026-01-01T00:00:02Z'), ev('?', 'soon'), ev('a', '2026-01-01T00:00:01Z'), ev('-')], ['a', '-', 'b', '?']],
    ['a first event without a time comes first', [ev('-', 42), ev('a', '2026-01-01T00:00:01Z')], ['-', 'a']],
  ])('%s', (_name, events, ids) => {
    expect(inTimeOrder(events).map((e) => e.id)).toEqual(ids);
  });
});
