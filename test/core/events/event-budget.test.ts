import { describe, expect, it } from 'vitest';
import { MAX_TEXT_CHARS, type AgentEvent } from '../../../src/core/events/agent-event.js';
import { coalesceText, finalEvents, fitsBudget, INGEST_LIMITS, mergeText } from '../../../src/core/events/event-budget.js';

const text = (t: string, delta?: boolean): AgentEvent => ({ type: 'text', text: t, ...(delta === undefined ? {} : { delta }) });
const tool: AgentEvent = { type: 'tool', name: 'Bash', detail: 'ls' };
const usage: AgentEvent = { type: 'usage', inputTokens: 1, outputTokens: 2, costUsd: 0.5, cumulative: true };
const result: AgentEvent = { type: 'result', ok: true, turns: 3 };
const error: AgentEvent = { type: 'error', message: 'boom' };

describe('coalesceText', () => {
  it.each<[string, AgentEvent[], AgentEvent[]]>([
    ['nothing', [], []],
    ['one line', [text('a')], [text('a')]],
    ['a burst of lines becomes one event, a line each', [text('a'), text('b'), text('c')], [text('a\nb\nc')]],
    ['streamed pieces join end to end', [text('I wi', true), text('ll look', true)], [text('I will look', true)]],
    ['a whole line and a streamed piece stay apart', [text('line'), text('piece', true)], [text('line'), text('piece', true)]],
    ['another event ends a burst', [text('a'), tool, text('b'), text('c')], [text('a'), tool, text('b\nc')]],
    ['non-text events are never merged', [tool, tool, usage, result], [tool, tool, usage, result]],
    [
      'a burst longer than the limit takes a new event where the next line would not fit',
      [text('x'.repeat(MAX_TEXT_CHARS - 1)), text('y'), text('z')],
      [text('x'.repeat(MAX_TEXT_CHARS - 1)), text('y\nz')],
    ],
    ['exactly at the limit still merges', [text('x'.repeat(MAX_TEXT_CHARS - 2)), text('y')], [text(`${'x'.repeat(MAX_TEXT_CHARS - 2)}\ny`)]],
  ])('%s', (_name, events, expected) => {
    expect(coalesceText(events)).toEqual(expected);
  });

  it('a flood of 10,000 short lines becomes few events, none over the limit, and keeps every line', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => text(`line ${i}`));
    const out = coalesceText(lines);
    expect(out.length).toBeLessThan(100);
    for (const event of out) expect(event.type === 'text' && event.text.length <= MAX_TEXT_CHARS).toBe(true);
    expect(out.map((e) => (e.type === 'text' ? e.text : '')).join('\n')).toBe(lines.map((e) => (e.type === 'text' ? e.text : '')).join('\n'));
  });
});

describe('mergeText', () => {
  it.each<[string, AgentEvent | undefined, AgentEvent, AgentEvent | undefined]>([
    ['nothing before', undefined, text('a'), undefined],
    ['after a tool', tool, text('a'), undefined],
    ['a tool after text', text('a'), tool, undefined],
    ['two lines', text('a'), text('b'), text('a\nb')],
    ['two pieces', text('a', true), text('b', true), text('ab', true)],
    ['past the limit', text('a'), text('b'), undefined],
  ])('%s', (name, last, next, expected) => {
    expect(mergeText(last, next, name === 'past the limit' ? 2 : MAX_TEXT_CHARS)).toEqual(expected);
  });
});

describe('fitsBudget', () => {
  const limits = { eventCount: 3, eventBytes: 100 };
  it.each<[string, { count: number; bytes: number }, number[], boolean]>([
    ['an empty log takes a small event', { count: 0, bytes: 0 }, [10], true],
    ['up to the count', { count: 2, bytes: 0 }, [10], true],
    ['not past the count', { count: 3, bytes: 0 }, [10], false],
    ['up to the bytes', { count: 0, bytes: 90 }, [10], true],
    ['not past the bytes', { count: 0, bytes: 91 }, [10], false],
    ['several at once count together', { count: 1, bytes: 0 }, [10, 10, 10], false],
  ])('%s', (_name, used, sizes, fits) => {
    expect(fitsBudget(used, sizes, limits)).toBe(fits);
  });

  it('the default limits keep a run far below 1 MB of events', () => {
    expect(INGEST_LIMITS.eventBytes).toBeLessThanOrEqual(512 * 1024);
    expect(INGEST_LIMITS.tailBytes).toBeLessThan(INGEST_LIMITS.totalBytes);
  });
});

describe('finalEvents', () => {
  it.each<[string, AgentEvent[], AgentEvent[]]>([
    ['a text line has none', [text('a')], []],
    ['a claude result line: its usage, error and result', [usage, error, result], [usage, error, result]],
    ['a codex turn: its usage', [usage], [usage]],
    ['an error alone is not an end', [error], []],
    ['text beside a result is left out', [text('a'), result], [result]],
  ])('%s', (_name, events, expected) => {
    expect(finalEvents(events)).toEqual(expected);
  });
});
