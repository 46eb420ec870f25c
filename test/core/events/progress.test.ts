import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, type AgentEvent } from '../../../src/core/events/agent-event.js';
import { parseClaudeLine } from '../../../src/core/events/parse-claude.js';
import { parseCodexLine } from '../../../src/core/events/parse-codex.js';
import { parseGeminiLine, parsePlainLine } from '../../../src/core/events/parse-gemini.js';
import { applyEvents, EMPTY_PROGRESS, parserFor, splitLines, TAIL_LINES, type RunProgress } from '../../../src/core/events/progress.js';

const text = (t: string, delta?: boolean): AgentEvent => (delta === undefined ? { type: 'text', text: t } : { type: 'text', text: t, delta });
const usage = (inputTokens: number, outputTokens: number, cumulative: boolean, costUsd?: number): AgentEvent => ({ type: 'usage', inputTokens, outputTokens, costUsd, cumulative });
const result = (fields: Partial<Extract<AgentEvent, { type: 'result' }>> = {}): AgentEvent => ({ type: 'result', ok: true, ...fields });

describe('applyEvents: the tail', () => {
  it.each<[string, AgentEvent, string[]]>([
    ['text: its first non-blank line, trimmed', text('\n\n   Looking at login.ts   \nthen the tests\n'), ['Looking at login.ts']],
    ['blank text: nothing', text('  \n \n'), []],
    ['empty text: nothing', text(''), []],
    ['a tool with a detail', { type: 'tool', name: 'Bash', detail: 'npm test' }, ['tool Bash: npm test']],
    ['a tool with a multi-line detail: its first line', { type: 'tool', name: 'Bash', detail: 'cat <<EOF\nsecret\nEOF' }, ['tool Bash: cat <<EOF']],
    ['a tool without a detail', { type: 'tool', name: 'file_change' }, ['tool file_change']],
    ['a tool with an empty detail', { type: 'tool', name: 'shell', detail: '' }, ['tool shell']],
    ['an error: its first line', { type: 'error', message: 'rate limited\nretry after 30s' }, ['error: rate limited']],
    ['started with a model', { type: 'started', sessionId: 's', model: 'claude-sonnet-4-5' }, ['started (claude-sonnet-4-5)']],
    ['started without a model', { type: 'started', sessionId: 's' }, ['started']],
    ['usage: nothing', usage(1, 2, true, 0.1), []],
    ['result: nothing', result({ text: 'All done', turns: 2 }), []],
  ])('%s', (_name, event, tail) => {
    expect(applyEvents(EMPTY_PROGRESS, [event]).tail).toEqual(tail);
  });

  it(`keeps the last ${TAIL_LINES} lines, oldest first`, () => {
    expect(TAIL_LINES).toBe(20);
    const events = Array.from({ length: 45 }, (_, i) => text(`line ${i}`));
    const tail = applyEvents(EMPTY_PROGRESS, events).tail;
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 25');
    expect(tail.at(-1)).toBe('line 44');
  });

  it('keeps the last 20 across calls too', () => {
    let progress = EMPTY_PROGRESS;
    for (let i = 0; i < 30; i += 1) progress = applyEvents(progress, [text(`step ${i}`)]);
    expect(progress.tail).toEqual(Array.from({ length: 20 }, (_, i) => `step ${i + 10}`));
  });

  it('cuts each line to 300 characters', () => {
    const progress = applyEvents(EMPTY_PROGRESS, [text('a'.repeat(1000)), { type: 'tool', name: 'Bash', detail: 'b'.repeat(1000) }, { type: 'error', message: 'c'.repeat(1000) }]);
    expect(progress.tail).toEqual(['a'.repeat(300), `tool Bash: ${'b'.repeat(289)}`, `error: ${'c'.repeat(293)}`]);
    for (const line of progress.tail) expect(line.length).toBeLessThanOrEqual(300);
  });

  it('does not change the progress it was given', () => {
    const before: RunProgress = { ...EMPTY_PROGRESS, tail: ['old'], deniedTools: ['Bash'] };
    const snapshot = structuredClone(before);
    const after = applyEvents(before, [text('new'), result({ deniedTools: ['Write'] }), usage(5, 5, false)]);
    expect(before).toEqual(snapshot);
    expect(EMPTY_PROGRESS).toEqual({ tail: [], inputTokens: 0, outputTokens: 0, costUsd: undefined, turns: undefined, sessionId: undefined, deniedTools: [] });
    expect(after.tail).toEqual(['old', 'new']);
    expect(after.deniedTools).toEqual(['Bash', 'Write']);
  });

  it('no events: the same progress', () => {
    const progress: RunProgress = { ...EMPTY_PROGRESS, tail: ['x'], inputTokens: 3, costUsd: 1, turns: 2, sessionId: 's' };
    expect(applyEvents(progress, [])).toEqual(progress);
  });
});

describe('applyEvents: streamed text (gemini deltas)', () => {
  it('joins consecutive pieces into one line, newlines as spaces', () => {
    const progress = applyEvents(EMPTY_PROGRESS, [text('  I will', true), text(' look\nat', true), text(' login.ts.', true)]);
    expect(progress.tail).toEqual(['I will look at login.ts.']);
    expect(progress.streaming).toBe(true);
  });

  it('keeps joining across calls, as the log is read piece by piece', () => {
    let progress = EMPTY_PROGRESS;
    for (const piece of ['Fix', 'ing', ' the', ' bug']) progress = applyEvents(progress, [text(piece, true)]);
    expect(progress.tail).toEqual(['Fixing the bug']);
  });

  it.each<[string, AgentEvent]>([
    ['a tool', { type: 'tool', name: 'read_file', detail: '{}' }],
    ['a whole message', text('whole')],
    ['usage', usage(1, 1, true)],
    ['a result', result()],
    ['an error', { type: 'error', message: 'oops' }],
  ])('any other event (%s) ends the streamed line: the next piece starts a new one', (_name, between) => {
    const progress = applyEvents(EMPTY_PROGRESS, [text('first', true), text(' part', true), between, text('second', true), text(' part', true)]);
    expect(progress.tail[0]).toBe('first part');
    expect(progress.tail.at(-1)).toBe('second part');
    expect(progress.tail).toHaveLength(between.type === 'usage' || between.type === 'result' ? 2 : 3);
    expect(progress.streaming).toBe(true);
  });

  it('a piece after a whole message starts a new line', () => {
    const progress = applyEvents(EMPTY_PROGRESS, [text('whole message'), text('piece', true)]);
    expect(progress.tail).toEqual(['whole message', 'piece']);
  });

  it('a streamed line stops growing at 300 characters', () => {
    const progress = applyEvents(EMPTY_PROGRESS, Array.from({ length: 50 }, () => text('0123456789', true)));
    expect(progress.tail).toEqual(['0123456789'.repeat(30)]);
  });

  it('a streamed line is the newest line of the tail and the tail stays at 20', () => {
    const lines = Array.from({ length: 20 }, (_, i) => text(`line ${i}`));
    const progress = applyEvents(EMPTY_PROGRESS, [...lines, text('stream', true), text('ing', true)]);
    expect(progress.tail).toHaveLength(20);
    expect(progress.tail[0]).toBe('line 1');
    expect(progress.tail.at(-1)).toBe('streaming');
  });
});

describe('applyEvents: usage and cost', () => {
  it.each<[string, AgentEvent[], Pick<RunProgress, 'inputTokens' | 'outputTokens' | 'costUsd'>]>([
    ['cumulative numbers replace (claude, gemini)', [usage(100, 10, true), usage(250, 30, true)], { inputTokens: 250, outputTokens: 30, costUsd: undefined }],
    ['additive numbers add up (codex turns)', [usage(100, 10, false), usage(250, 30, false), usage(1, 1, false)], { inputTokens: 351, outputTokens: 41, costUsd: undefined }],
    ['a cumulative total after additions replaces them', [usage(100, 10, false), usage(100, 10, false), usage(150, 15, true)], { inputTokens: 150, outputTokens: 15, costUsd: undefined }],
    ['additions after a total add to it', [usage(150, 15, true), usage(5, 1, false)], { inputTokens: 155, outputTokens: 16, costUsd: undefined }],
    ['a cumulative cost replaces', [usage(1, 1, true, 0.01), usage(2, 2, true, 0.05)], { inputTokens: 2, outputTokens: 2, costUsd: 0.05 }],
    ['an additive cost adds up from nothing', [usage(1, 1, false, 0.25), usage(1, 1, false, 0.5)], { inputTokens: 2, outputTokens: 2, costUsd: 0.75 }],
    ['usage without a cost keeps the cost so far', [usage(1, 1, true, 0.3), usage(9, 9, true)], { inputTokens: 9, outputTokens: 9, costUsd: 0.3 }],
    ['a zero cost is a cost', [usage(0, 0, true, 0)], { inputTokens: 0, outputTokens: 0, costUsd: 0 }],
    ['a lower cumulative total is believed (a new session)', [usage(500, 50, true, 2), usage(10, 1, true, 0.1)], { inputTokens: 10, outputTokens: 1, costUsd: 0.1 }],
  ])('%s', (_name, events, expected) => {
    expect(applyEvents(EMPTY_PROGRESS, events)).toMatchObject(expected);
  });
});

describe('applyEvents: turns, session, denied tools', () => {
  it.each<[string, AgentEvent[], Pick<RunProgress, 'turns' | 'sessionId' | 'deniedTools'>]>([
    ['the session id from started', [{ type: 'started', sessionId: 'sess-1' }], { turns: undefined, sessionId: 'sess-1', deniedTools: [] }],
    ['started without a session keeps the one known', [{ type: 'started', sessionId: 'sess-1' }, { type: 'started' }], { turns: undefined, sessionId: 'sess-1', deniedTools: [] }],
    ['the result session id wins', [{ type: 'started', sessionId: 'sess-1' }, result({ sessionId: 'sess-2' })], { turns: undefined, sessionId: 'sess-2', deniedTools: [] }],
    ['a result without a session keeps the one known', [{ type: 'started', sessionId: 'sess-1' }, result()], { turns: undefined, sessionId: 'sess-1', deniedTools: [] }],
    ['turns from the result', [result({ turns: 7 })], { turns: 7, sessionId: undefined, deniedTools: [] }],
    ['a later result replaces the turns', [result({ turns: 7 }), result({ turns: 2 })], { turns: 2, sessionId: undefined, deniedTools: [] }],
    ['a result without turns keeps them', [result({ turns: 7 }), result()], { turns: 7, sessionId: undefined, deniedTools: [] }],
    ['zero turns are turns', [result({ turns: 0 })], { turns: 0, sessionId: undefined, deniedTools: [] }],
    [
      'denied tools are collected once each, in first-seen order',
      [result({ deniedTools: ['Bash', 'WebFetch', 'Bash'] }), result({ deniedTools: ['Write', 'Bash'] }), result({ deniedTools: [] }), result()],
      { turns: undefined, sessionId: undefined, deniedTools: ['Bash', 'WebFetch', 'Write'] },
    ],
    ['a failed result counts too', [result({ ok: false, turns: 1, deniedTools: ['Bash'] })], { turns: 1, sessionId: undefined, deniedTools: ['Bash'] }],
  ])('%s', (_name, events, expected) => {
    expect(applyEvents(EMPTY_PROGRESS, events)).toMatchObject(expected);
  });
});

describe('splitLines', () => {
  it.each<[string, string, string, string[], string]>([
    ['whole lines', '', 'a\nb\n', ['a', 'b'], ''],
    ['a partial last line is kept for later', '', 'a\nb', ['a'], 'b'],
    ['the kept part is completed by the next chunk', 'par', 'tial\nnext', ['partial'], 'next'],
    ['a chunk with no newline only grows the pending part', 'ab', 'cd', [], 'abcd'],
    ['nothing new', 'rest', '', [], 'rest'],
    ['nothing at all', '', '', [], ''],
    ['empty lines are lines', '', '\n\nx\n', ['', '', 'x'], ''],
    ['a newline alone ends the pending line', 'pending', '\n', ['pending'], ''],
    ['CRLF keeps the CR (parsers cope)', '', 'a\r\nb\r\n', ['a\r', 'b\r'], ''],
    ['a lone CR is not a line end', '', 'progress 10%\rprogress 20%\n', ['progress 10%\rprogress 20%'], ''],
  ])('%s', (_name, pending, chunk, lines, rest) => {
    expect(splitLines(pending, chunk)).toEqual({ lines, pending: rest });
  });

  it('a line of exactly 64 KiB is kept whole', () => {
    const exact = 'x'.repeat(MAX_LINE_BYTES);
    expect(MAX_LINE_BYTES).toBe(65536);
    expect(splitLines('', `${exact}\n`)).toEqual({ lines: [exact], pending: '' });
    expect(splitLines('', exact)).toEqual({ lines: [], pending: exact });
  });

  it('a whole line past 64 KiB is cut and marked', () => {
    const { lines, pending } = splitLines('', `${'x'.repeat(MAX_LINE_BYTES + 1)}\nnext\n`);
    expect(lines).toEqual([`${'x'.repeat(MAX_LINE_BYTES)} [truncated]`, 'next']);
    expect(pending).toBe('');
  });

  it('an unfinished line past 64 KiB is given out cut, not held', () => {
    const { lines, pending } = splitLines('', `ok\n${'y'.repeat(MAX_LINE_BYTES * 3)}`);
    expect(lines).toEqual(['ok', `${'y'.repeat(MAX_LINE_BYTES)} [truncated]`]);
    expect(pending).toBe('');
  });

  it('an unfinished line that grows past 64 KiB over several chunks is cut once it does', () => {
    let state = { lines: [] as string[], pending: '' };
    const out: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      state = splitLines(state.pending, 'z'.repeat(4096));
      out.push(...state.lines);
      expect(state.pending.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    }
    expect(out).toEqual([`${'z'.repeat(MAX_LINE_BYTES)} [truncated]`]);
    // 16 chunks fill exactly 64 KiB (still held); the 17th makes it too long; the last 3 start over.
    expect(state.pending).toBe('z'.repeat(3 * 4096));
  });

  it('what follows a cut line up to its newline comes out as a line of its own', () => {
    const first = splitLines('', 'a'.repeat(MAX_LINE_BYTES + 5));
    expect(first.lines).toEqual([`${'a'.repeat(MAX_LINE_BYTES)} [truncated]`]);
    expect(splitLines(first.pending, 'tail of it\nnext\n')).toEqual({ lines: ['tail of it', 'next'], pending: '' });
  });

  it('many lines in one chunk, some huge', () => {
    const chunk = ['short', 'h'.repeat(MAX_LINE_BYTES * 2), '', 'end'].join('\n');
    expect(splitLines('', chunk)).toEqual({ lines: ['short', `${'h'.repeat(MAX_LINE_BYTES)} [truncated]`, ''], pending: 'end' });
  });

  it('a cut JSON line is no longer JSON: the parser keeps it as clipped text', () => {
    const json = JSON.stringify({ type: 'item.completed', item: { type: 'agent_message', text: 'q'.repeat(MAX_LINE_BYTES) } });
    const [cut] = splitLines('', `${json}\n`).lines;
    expect(cut?.endsWith(' [truncated]')).toBe(true);
    const events = parseCodexLine(cut as string);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'text' });
  });
});

describe('parserFor', () => {
  it.each<[string, unknown]>([
    ['claude', parseClaudeLine],
    ['codex', parseCodexLine],
    // local runs codex against Ollama: the same JSONL.
    ['local', parseCodexLine],
    ['gemini', parseGeminiLine],
    ['coderabbit', parsePlainLine],
    ['mybot', parsePlainLine],
    ['', parsePlainLine],
    ['Claude', parsePlainLine],
    ['claude:opus', parsePlainLine],
  ])('%j → the right parser', (base, parser) => {
    expect(parserFor(base)).toBe(parser);
  });

  it('each parser reads its own format and only that', () => {
    const claudeInit = '{"type":"system","subtype":"init","session_id":"s1","model":"m"}';
    const codexStart = '{"type":"thread.started","thread_id":"t1"}';
    const geminiInit = '{"type":"init","session_id":"g1","model":"gemini-2.5-pro"}';
    expect(parserFor('claude')(claudeInit)).toEqual([{ type: 'started', sessionId: 's1', model: 'm' }]);
    expect(parserFor('claude')(codexStart)).toEqual([]);
    expect(parserFor('codex')(codexStart)).toEqual([{ type: 'started', sessionId: 't1' }]);
    expect(parserFor('codex')(geminiInit)).toEqual([]);
    expect(parserFor('gemini')(geminiInit)).toEqual([{ type: 'started', sessionId: 'g1', model: 'gemini-2.5-pro' }]);
    expect(parserFor('gemini')(claudeInit)).toEqual([]);
    expect(parserFor('mybot')(claudeInit)).toEqual([{ type: 'text', text: claudeInit }]);
  });
});
