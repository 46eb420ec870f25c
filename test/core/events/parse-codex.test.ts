import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, MAX_TEXT_CHARS, type AgentEvent } from '../../../src/core/events/agent-event.js';
import { parseCodexLine } from '../../../src/core/events/parse-codex.js';
import { applyEvents, EMPTY_PROGRESS, splitLines } from '../../../src/core/events/progress.js';
import { expectBounded, HOSTILE_LINES, oversized } from './hostile.js';

const THREAD = '0199a213-81c0-7800-8aa1-bbab2a035a53';

const line = (event: unknown) => JSON.stringify(event);
const item = (kind: 'item.started' | 'item.updated' | 'item.completed', fields: Record<string, unknown>) => line({ type: kind, item: { id: 'item_3', ...fields } });

const COMMAND = { type: 'command_execution', command: "bash -lc 'npm test'", aggregated_output: '', exit_code: null, status: 'in_progress' };
const COMMAND_DONE = { ...COMMAND, aggregated_output: '> test\n> vitest run\n\n Tests  12 passed (12)\n', exit_code: 0, status: 'completed' };
const COMMAND_FAILED = { ...COMMAND, aggregated_output: 'npm ERR! Missing script: "tset"\n', exit_code: 1, status: 'failed' };
const FILE_CHANGE = {
  type: 'file_change',
  changes: [
    { path: '/workspace/repo/src/login.ts', kind: 'update' },
    { path: '/workspace/repo/src/login.test.ts', kind: 'add' },
  ],
  status: 'completed',
};
const MCP = { type: 'mcp_tool_call', server: 'filesystem', tool: 'read_file', arguments: { path: '/etc/hosts' }, result: null, error: null, status: 'in_progress' };

describe('parseCodexLine: recorded `codex exec --json` lines', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['thread.started: the thread id is the session', line({ type: 'thread.started', thread_id: THREAD }), [{ type: 'started', sessionId: THREAD }]],
    ['thread.started without an id', line({ type: 'thread.started' }), [{ type: 'started', sessionId: undefined }]],
    ['turn.started', line({ type: 'turn.started' }), []],
    ['item.started command_execution: a shell tool with the command', item('item.started', COMMAND), [{ type: 'tool', name: 'shell', detail: "bash -lc 'npm test'" }]],
    ['item.completed command_execution (output and exit code are not progress)', item('item.completed', COMMAND_DONE), []],
    ['item.completed command_execution that failed', item('item.completed', COMMAND_FAILED), []],
    ['item.started command_execution without a command', item('item.started', { type: 'command_execution', status: 'in_progress' }), [{ type: 'tool', name: 'shell', detail: '' }]],
    ['item.updated command_execution', item('item.updated', { ...COMMAND, aggregated_output: 'partial' }), []],
    ['item.completed agent_message: its text', item('item.completed', { type: 'agent_message', text: 'I fixed the redirect and added a test.' }), [{ type: 'text', text: 'I fixed the redirect and added a test.' }]],
    ['item.completed agent_message without text', item('item.completed', { type: 'agent_message' }), []],
    ['item.started agent_message (not emitted by codex) shows nothing', item('item.started', { type: 'agent_message', text: 'draft' }), []],
    ['item.completed reasoning is not shown', item('item.completed', { type: 'reasoning', text: '**Planning the fix**\n\nI need to look at login.ts' }), []],
    ['item.started file_change', item('item.started', { ...FILE_CHANGE, status: 'in_progress' }), [{ type: 'tool', name: 'file_change' }]],
    ['item.completed file_change', item('item.completed', FILE_CHANGE), []],
    ['item.started mcp_tool_call: the tool name', item('item.started', MCP), [{ type: 'tool', name: 'read_file' }]],
    ['item.started mcp_tool_call without a tool name', item('item.started', { ...MCP, tool: undefined }), [{ type: 'tool', name: 'mcp' }]],
    ['item.completed mcp_tool_call', item('item.completed', { ...MCP, status: 'completed', result: { content: [{ type: 'text', text: '127.0.0.1 localhost' }], structured_content: null } }), []],
    ['item.started web_search', item('item.started', { type: 'web_search', query: 'vitest toStrictEqual undefined' }), [{ type: 'tool', name: 'web_search' }]],
    ['item.started todo_list', item('item.started', { type: 'todo_list', items: [{ text: 'Fix redirect', completed: false }] }), []],
    ['item.updated todo_list', item('item.updated', { type: 'todo_list', items: [{ text: 'Fix redirect', completed: true }] }), []],
    ['item.completed error item (a warning)', item('item.completed', { type: 'error', message: 'model rerouted: gpt-5 -> gpt-5-mini' }), [{ type: 'error', message: 'model rerouted: gpt-5 -> gpt-5-mini' }]],
    ['item.completed error item without a message', item('item.completed', { type: 'error' }), [{ type: 'error', message: 'error' }]],
    [
      'turn.completed: additive usage, cached input not counted twice, no cost',
      line({ type: 'turn.completed', usage: { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 345 } }),
      [{ type: 'usage', inputTokens: 1200, outputTokens: 345, cumulative: false }],
    ],
    ['turn.completed without usage', line({ type: 'turn.completed' }), [{ type: 'usage', inputTokens: 0, outputTokens: 0, cumulative: false }]],
    [
      'turn.completed with hostile numbers',
      line({ type: 'turn.completed', usage: { input_tokens: -5, cached_input_tokens: 1e308, output_tokens: '345' } }),
      [{ type: 'usage', inputTokens: 0, outputTokens: 0, cumulative: false }],
    ],
    ['turn.failed: the error message', line({ type: 'turn.failed', error: { message: 'stream disconnected before completion: rate limit reached' } }), [{ type: 'error', message: 'stream disconnected before completion: rate limit reached' }]],
    ['turn.failed without an error', line({ type: 'turn.failed' }), [{ type: 'error', message: 'turn failed' }]],
    ['turn.failed with a string error', line({ type: 'turn.failed', error: 'boom' }), [{ type: 'error', message: 'turn failed' }]],
    ['error: its message', line({ type: 'error', message: 'Reconnecting... 1/5 (stream disconnected before completion)' }), [{ type: 'error', message: 'Reconnecting... 1/5 (stream disconnected before completion)' }]],
    ['error without a message', line({ type: 'error' }), [{ type: 'error', message: 'error' }]],
    ['an unknown event type', line({ type: 'thread.archived', thread_id: THREAD }), []],
    ['an item event without an item', line({ type: 'item.completed' }), []],
    ['a line with CRLF', `${line({ type: 'thread.started', thread_id: THREAD })}\r`, [{ type: 'started', sessionId: THREAD }]],
  ])('%s', (_name, text, events) => {
    expect(parseCodexLine(text)).toEqual(events);
  });
});

describe('parseCodexLine: what is not JSONL', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['an empty line', '', []],
    ['a blank line', '   ', []],
    // codex prints this on stderr, which shares the log.
    ['"Reading prompt from stdin..."', 'Reading prompt from stdin...', [{ type: 'text', text: 'Reading prompt from stdin...' }]],
    ['a tracing line with ANSI colours', '\u001b[2m2025-11-23T10:00:01.123Z\u001b[0m \u001b[31mERROR\u001b[0m codex_core::exec: exec error', [{ type: 'text', text: '[2m2025-11-23T10:00:01.123Z[0m [31mERROR[0m codex_core::exec: exec error' }]],
    ['a truncated JSON line', '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"I fix', [{ type: 'text', text: '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"I fix' }]],
    ['an array', '[{"type":"turn.completed"}]', [{ type: 'text', text: '[{"type":"turn.completed"}]' }]],
    ['a string', '"turn.completed"', [{ type: 'text', text: '"turn.completed"' }]],
    ['an empty object', '{}', []],
  ])('%s', (_name, text, events) => {
    expect(parseCodexLine(text)).toEqual(events);
  });

  it('clips long messages and commands, and strips control characters', () => {
    expect(parseCodexLine(item('item.completed', { type: 'agent_message', text: `a\u0000b\u001bc${'m'.repeat(5000)}` }))).toEqual([{ type: 'text', text: `abc${'m'.repeat(MAX_TEXT_CHARS - 3)}…` }]);
    expect(parseCodexLine(item('item.started', { ...COMMAND, command: `rm\u0007 ${'-r '.repeat(300)}` }))).toEqual([{ type: 'tool', name: 'shell', detail: `rm ${'-r '.repeat(300)}`.slice(0, 200) + '…' }]);
    expect(parseCodexLine(item('item.started', { ...MCP, tool: 'T'.repeat(500) }))).toEqual([{ type: 'tool', name: `${'T'.repeat(100)}…` }]);
    expect(parseCodexLine(line({ type: 'turn.failed', error: { message: 'e'.repeat(MAX_TEXT_CHARS + 1) } }))).toEqual([{ type: 'error', message: `${'e'.repeat(MAX_TEXT_CHARS)}…` }]);
  });

  it.each<[string, string]>([
    ['a JSON line past 64 KiB', oversized((filler) => ({ type: 'item.completed', item: { id: 'item_9', type: 'agent_message', text: filler } }))],
    ['a plain line past 64 KiB', 'p'.repeat(MAX_LINE_BYTES + 1)],
    ['a JSON line cut at 64 KiB by splitLines', splitLines('', oversized((filler) => ({ type: 'item.completed', item: { type: 'agent_message', text: filler } }))).lines[0] as string],
  ])('%s becomes one clipped text', (_name, text) => {
    expect(text.length).toBeGreaterThan(MAX_LINE_BYTES);
    const events = parseCodexLine(text);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'text' });
    expect((events[0] as { text: string }).text).toHaveLength(MAX_TEXT_CHARS + 1);
  });

  it.each(HOSTILE_LINES)('never throws on %s, and bounds what it returns', (_name, text) => {
    let events: AgentEvent[] = [];
    expect(() => {
      events = parseCodexLine(text);
    }).not.toThrow();
    expectBounded(events);
  });
});

describe('parseCodexLine: a whole recorded run', () => {
  const stream = [
    'Reading prompt from stdin...',
    line({ type: 'thread.started', thread_id: THREAD }),
    line({ type: 'turn.started' }),
    item('item.completed', { type: 'reasoning', text: '**Looking at the login flow**' }),
    item('item.started', COMMAND),
    item('item.completed', COMMAND_FAILED),
    item('item.started', { ...FILE_CHANGE, status: 'in_progress' }),
    item('item.completed', FILE_CHANGE),
    item('item.completed', { type: 'agent_message', text: 'Fixed the redirect.\n\nTests pass.' }),
    line({ type: 'turn.completed', usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } }),
    // A second turn (codex exec resume) adds to the first.
    line({ type: 'turn.started' }),
    item('item.completed', { type: 'error', message: 'model rerouted' }),
    line({ type: 'turn.failed', error: { message: 'Quota exceeded. Check your plan and billing details.' } }),
    line({ type: 'turn.completed', usage: { input_tokens: 1000, cached_input_tokens: 0, output_tokens: 10 } }),
  ].join('\n');

  it('folds into progress: tail, summed usage, session from the thread id', () => {
    const { lines, pending } = splitLines('', `${stream}\n`);
    expect(pending).toBe('');
    const progress = lines.reduce((p, text) => applyEvents(p, parseCodexLine(text)), EMPTY_PROGRESS);
    expect(progress).toEqual({
      tail: [
        'Reading prompt from stdin...',
        'started',
        "tool shell: bash -lc 'npm test'",
        'tool file_change',
        'Fixed the redirect.',
        'error: model rerouted',
        'error: Quota exceeded. Check your plan and billing details.',
      ],
      inputTokens: 25763,
      outputTokens: 132,
      costUsd: undefined,
      turns: undefined,
      sessionId: THREAD,
      deniedTools: [],
      streaming: false,
    });
  });
});
