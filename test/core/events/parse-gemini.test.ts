import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, MAX_TEXT_CHARS, type AgentEvent } from '../../../src/core/events/agent-event.js';
import { parseGeminiLine, parsePlainLine } from '../../../src/core/events/parse-gemini.js';
import { applyEvents, EMPTY_PROGRESS, splitLines } from '../../../src/core/events/progress.js';
import { expectBounded, HOSTILE_LINES, oversized } from './hostile.js';

const SESSION = 'f3b2c1d0-9e8f-4a7b-b6c5-d4e3f2a1b0c9';
const TS = '2025-11-23T10:00:00.000Z';
const TOOL_ID = 'run_shell_command-1763892000000-8d2f1a';

/** One `gemini -p … --output-format stream-json` event, with its timestamp. */
const line = (event: Record<string, unknown>) => JSON.stringify({ type: event.type, timestamp: TS, ...event });

const STATS = { total_tokens: 13546, input_tokens: 13012, output_tokens: 534, cached: 8011, input: 5001, duration_ms: 18890, tool_calls: 2 };

describe('parseGeminiLine: recorded stream-json lines', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['init: session and model', line({ type: 'init', session_id: SESSION, model: 'gemini-2.5-pro' }), [{ type: 'started', sessionId: SESSION, model: 'gemini-2.5-pro' }]],
    ['init without fields', line({ type: 'init' }), [{ type: 'started', sessionId: undefined, model: undefined }]],
    ['the user message (the prompt) is not progress', line({ type: 'message', role: 'user', content: 'Fix the login redirect' }), []],
    ['a whole assistant message', line({ type: 'message', role: 'assistant', content: 'I fixed the redirect.' }), [{ type: 'text', text: 'I fixed the redirect.', delta: undefined }]],
    ['a streamed piece of an assistant message', line({ type: 'message', role: 'assistant', content: "I'll look at", delta: true }), [{ type: 'text', text: "I'll look at", delta: true }]],
    ['delta: false is a whole message', line({ type: 'message', role: 'assistant', content: 'x', delta: false }), [{ type: 'text', text: 'x', delta: undefined }]],
    ['delta: "true" (a string) is not a delta', line({ type: 'message', role: 'assistant', content: 'x', delta: 'true' }), [{ type: 'text', text: 'x', delta: undefined }]],
    ['an assistant message without content', line({ type: 'message', role: 'assistant' }), []],
    ['an assistant message whose content is not a string', line({ type: 'message', role: 'assistant', content: [{ text: 'x' }] }), []],
    ['a message without a role', line({ type: 'message', content: 'who said this?' }), []],
    [
      'tool_use: the name and the parameters as JSON',
      line({ type: 'tool_use', tool_name: 'run_shell_command', tool_id: TOOL_ID, parameters: { command: 'npm test', description: 'Run the tests' } }),
      [{ type: 'tool', name: 'run_shell_command', detail: '{"command":"npm test","description":"Run the tests"}' }],
    ],
    [
      'tool_use of a file tool',
      line({ type: 'tool_use', tool_name: 'replace', tool_id: 'replace-1', parameters: { file_path: '/workspace/repo/src/login.ts', old_string: 'a', new_string: 'b' } }),
      [{ type: 'tool', name: 'replace', detail: '{"file_path":"/workspace/repo/src/login.ts","old_string":"a","new_string":"b"}' }],
    ],
    ['tool_use without parameters', line({ type: 'tool_use', tool_name: 'list_directory', tool_id: 'ls-1' }), [{ type: 'tool', name: 'list_directory', detail: '{}' }]],
    ['tool_use without a name', line({ type: 'tool_use', tool_id: 'x-1', parameters: {} }), [{ type: 'tool', name: 'tool', detail: '{}' }]],
    ['a successful tool_result', line({ type: 'tool_result', tool_id: TOOL_ID, status: 'success', output: ' Tests  12 passed (12)' }), []],
    ['a failed tool_result', line({ type: 'tool_result', tool_id: TOOL_ID, status: 'error', error: { type: 'tool_error', message: 'Command exited with code 1' } }), []],
    ['a warning', line({ type: 'error', severity: 'warning', message: 'Loop detected, stopping execution' }), [{ type: 'error', message: 'Loop detected, stopping execution' }]],
    ['an error', line({ type: 'error', severity: 'error', message: 'Quota exceeded for quota metric' }), [{ type: 'error', message: 'Quota exceeded for quota metric' }]],
    ['an error without a message', line({ type: 'error', severity: 'error' }), [{ type: 'error', message: 'error' }]],
    [
      'result success: cumulative usage, tool calls as turns',
      line({ type: 'result', status: 'success', stats: STATS }),
      [
        { type: 'usage', inputTokens: 13012, outputTokens: 534, cumulative: true },
        { type: 'result', ok: true, turns: 2 },
      ],
    ],
    [
      'result error with an error object',
      line({ type: 'result', status: 'error', error: { type: 'FatalTurnLimitedError', message: 'Reached max session turns for this session.' }, stats: STATS }),
      [
        { type: 'usage', inputTokens: 13012, outputTokens: 534, cumulative: true },
        { type: 'error', message: 'Reached max session turns for this session.' },
        { type: 'result', ok: false, turns: 2 },
      ],
    ],
    [
      'result error without details or stats',
      line({ type: 'result', status: 'error' }),
      [
        { type: 'error', message: 'result error' },
        { type: 'result', ok: false, turns: undefined },
      ],
    ],
    [
      'result with an unknown status is not a success',
      line({ type: 'result', status: 'cancelled', stats: { input_tokens: 1, output_tokens: 2 } }),
      [
        { type: 'usage', inputTokens: 1, outputTokens: 2, cumulative: true },
        { type: 'error', message: 'result cancelled' },
        { type: 'result', ok: false, turns: undefined },
      ],
    ],
    ['result success without stats', line({ type: 'result', status: 'success' }), [{ type: 'result', ok: true, turns: undefined }]],
    [
      'result with hostile stats',
      line({ type: 'result', status: 'success', stats: { input_tokens: -1, output_tokens: '534', tool_calls: -2, total_tokens: 1e308 } }),
      [
        { type: 'usage', inputTokens: 0, outputTokens: 0, cumulative: true },
        { type: 'result', ok: true, turns: undefined },
      ],
    ],
    ['an unknown event type', line({ type: 'thought', subject: 'Planning' }), []],
    ['a line with CRLF', `${line({ type: 'init', session_id: SESSION, model: 'gemini-2.5-flash' })}\r`, [{ type: 'started', sessionId: SESSION, model: 'gemini-2.5-flash' }]],
  ])('%s', (_name, text, events) => {
    expect(parseGeminiLine(text)).toEqual(events);
  });
});

describe('parseGeminiLine: what is not stream-json', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['an empty line', '', []],
    ['a blank line', ' ', []],
    // gemini prints these to stderr, which shares the log.
    ['"Loaded cached credentials."', 'Loaded cached credentials.', [{ type: 'text', text: 'Loaded cached credentials.' }]],
    ['a YOLO notice', 'YOLO mode is enabled. All tool calls will be automatically approved.', [{ type: 'text', text: 'YOLO mode is enabled. All tool calls will be automatically approved.' }]],
    ['a truncated JSON line', '{"type":"message","timestamp":"2025-11-23T10:00:00.000Z","role":"assistant","content":"I wi', [{ type: 'text', text: '{"type":"message","timestamp":"2025-11-23T10:00:00.000Z","role":"assistant","content":"I wi' }]],
    ['an array', '[1,2]', [{ type: 'text', text: '[1,2]' }]],
    ['an empty object', '{}', []],
    ['a colourised stack trace line', '\u001b[31m    at GeminiClient.sendMessageStream (file:///usr/lib/node_modules/@google/gemini-cli/dist/index.js:1:1)\u001b[39m', [{ type: 'text', text: '[31m    at GeminiClient.sendMessageStream (file:///usr/lib/node_modules/@google/gemini-cli/dist/index.js:1:1)[39m' }]],
  ])('%s', (_name, text, events) => {
    expect(parseGeminiLine(text)).toEqual(events);
  });

  it('clips long content, tool names and parameters, and strips control characters', () => {
    expect(parseGeminiLine(line({ type: 'message', role: 'assistant', content: `\u0000${'c'.repeat(3000)}`, delta: true }))).toEqual([
      { type: 'text', text: `${'c'.repeat(MAX_TEXT_CHARS)}…`, delta: true },
    ]);
    expect(parseGeminiLine(line({ type: 'tool_use', tool_name: `n\u0001${'n'.repeat(200)}`, parameters: { content: 'p'.repeat(1000) } }))).toEqual([
      { type: 'tool', name: `${'n'.repeat(100)}…`, detail: `{"content":"${'p'.repeat(200 - 12)}…` },
    ]);
    expect(parseGeminiLine(line({ type: 'result', status: 'error', error: { message: 'm'.repeat(9000) } }))).toEqual([
      { type: 'error', message: `${'m'.repeat(MAX_TEXT_CHARS)}…` },
      { type: 'result', ok: false, turns: undefined },
    ]);
  });

  it('control characters escaped inside tool parameters are not decoded into the detail', () => {
    const [event] = parseGeminiLine(line({ type: 'tool_use', tool_name: 'write_file', parameters: { content: 'a\u001b[2Jb\nc' } }));
    expect(event).toEqual({ type: 'tool', name: 'write_file', detail: '{"content":"a\\u001b[2Jb\\nc"}' });
  });

  it.each<[string, string]>([
    ['a JSON line past 64 KiB', oversized((filler) => ({ type: 'message', role: 'assistant', content: filler }))],
    ['a plain line past 64 KiB', 'p'.repeat(MAX_LINE_BYTES + 1)],
  ])('%s becomes one clipped text', (_name, text) => {
    expect(text.length).toBeGreaterThan(MAX_LINE_BYTES);
    const events = parseGeminiLine(text);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'text' });
    expect((events[0] as { text: string }).text).toHaveLength(MAX_TEXT_CHARS + 1);
  });

  it.each(HOSTILE_LINES)('never throws on %s, and bounds what it returns', (_name, text) => {
    let events: AgentEvent[] = [];
    expect(() => {
      events = parseGeminiLine(text);
    }).not.toThrow();
    expectBounded(events);
  });
});

describe('parsePlainLine (custom agents)', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['a line of text', 'Compiling 3 files...', [{ type: 'text', text: 'Compiling 3 files...' }]],
    ['JSON is just text', '{"type":"result","subtype":"success"}', [{ type: 'text', text: '{"type":"result","subtype":"success"}' }]],
    ['an empty line', '', []],
    ['a blank line', ' \t ', []],
    ['control characters', '\u001b[1mbold\u001b[0m\u0000', [{ type: 'text', text: '[1mbold[0m' }]],
    ['a huge line', 'h'.repeat(MAX_LINE_BYTES), [{ type: 'text', text: `${'h'.repeat(MAX_TEXT_CHARS)}…` }]],
  ])('%s', (_name, text, events) => {
    expect(parsePlainLine(text)).toEqual(events);
  });

  it.each(HOSTILE_LINES)('never throws on %s, and bounds what it returns', (_name, text) => {
    let events: AgentEvent[] = [];
    expect(() => {
      events = parsePlainLine(text);
    }).not.toThrow();
    expectBounded(events);
    expect(events.every((event) => event.type === 'text')).toBe(true);
  });
});

describe('parseGeminiLine: a whole recorded run', () => {
  const stream = [
    'YOLO mode is enabled. All tool calls will be automatically approved.',
    line({ type: 'init', session_id: SESSION, model: 'gemini-2.5-pro' }),
    line({ type: 'message', role: 'user', content: 'Fix the login redirect' }),
    line({ type: 'message', role: 'assistant', content: "I'll", delta: true }),
    line({ type: 'message', role: 'assistant', content: ' look at', delta: true }),
    line({ type: 'message', role: 'assistant', content: ' login.ts.\n', delta: true }),
    line({ type: 'tool_use', tool_name: 'read_file', tool_id: 'read_file-1', parameters: { absolute_path: '/workspace/repo/src/login.ts' } }),
    line({ type: 'tool_result', tool_id: 'read_file-1', status: 'success', output: '' }),
    line({ type: 'message', role: 'assistant', content: 'Fixed', delta: true }),
    line({ type: 'message', role: 'assistant', content: ' it.', delta: true }),
    line({ type: 'result', status: 'success', stats: STATS }),
  ].join('\n');

  it('folds into progress: streamed pieces join one line, usage is the total, tool calls are the turns', () => {
    let pending = '';
    let progress = EMPTY_PROGRESS;
    // One byte at a time: lines come out whole however the log is read.
    for (const char of `${stream}\n`) {
      const split = splitLines(pending, char);
      pending = split.pending;
      for (const text of split.lines) progress = applyEvents(progress, parseGeminiLine(text));
    }
    expect(progress).toEqual({
      tail: [
        'YOLO mode is enabled. All tool calls will be automatically approved.',
        'started (gemini-2.5-pro)',
        "I'll look at login.ts. ",
        'tool read_file: {"absolute_path":"/workspace/repo/src/login.ts"}',
        'Fixed it.',
      ],
      inputTokens: 13012,
      outputTokens: 534,
      costUsd: undefined,
      turns: 2,
      sessionId: SESSION,
      deniedTools: [],
      streaming: false,
    });
  });
});
