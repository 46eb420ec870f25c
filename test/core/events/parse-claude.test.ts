import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, MAX_TEXT_CHARS, type AgentEvent } from '../../../src/core/events/agent-event.js';
import { parseClaudeLine } from '../../../src/core/events/parse-claude.js';
import { applyEvents, EMPTY_PROGRESS, splitLines } from '../../../src/core/events/progress.js';
import { CONTROL, expectBounded, HOSTILE_LINES, oversized } from './hostile.js';

const SESSION = '9c1d5a7e-3b2f-4e8a-a1c4-6f0e2d9b8a71';
const MODEL = 'claude-sonnet-4-5-20250929';

/** An assistant message as `claude -p --output-format stream-json --verbose` prints it. */
function assistant(content: unknown[]): string {
  return JSON.stringify({
    type: 'assistant',
    message: {
      model: MODEL,
      id: 'msg_01XbGv8kq2Xb7Ck5qfVjZp1a',
      type: 'message',
      role: 'assistant',
      content,
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 4, cache_creation_input_tokens: 1571, cache_read_input_tokens: 13902, output_tokens: 3, service_tier: 'standard' },
    },
    parent_tool_use_id: null,
    session_id: SESSION,
    uuid: 'a8f3c1d2-5e6b-4c7d-8e9f-0a1b2c3d4e5f',
  });
}

function toolResult(id: string, content: unknown, isError = false): string {
  return JSON.stringify({
    type: 'user',
    message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content, is_error: isError }] },
    parent_tool_use_id: null,
    session_id: SESSION,
    uuid: 'b7e2d1c0-4f5a-4b6c-9d8e-1f2a3b4c5d6e',
  });
}

const INIT = JSON.stringify({
  type: 'system',
  subtype: 'init',
  cwd: '/workspace/repo',
  session_id: SESSION,
  tools: ['Task', 'Bash', 'Glob', 'Grep', 'Read', 'Edit', 'Write', 'WebFetch', 'TodoWrite'],
  mcp_servers: [],
  model: MODEL,
  permissionMode: 'bypassPermissions',
  slash_commands: ['compact', 'review'],
  apiKeySource: 'ANTHROPIC_API_KEY',
  claude_code_version: '2.0.37',
  output_style: 'default',
  agents: ['general-purpose'],
  uuid: 'c6d1e0f9-3a4b-4c5d-8e7f-2a3b4c5d6e7f',
});

const USAGE = {
  input_tokens: 12,
  cache_creation_input_tokens: 3400,
  cache_read_input_tokens: 15000,
  output_tokens: 456,
  server_tool_use: { web_search_requests: 0 },
  service_tier: 'standard',
};

function result(fields: Record<string, unknown>): string {
  return JSON.stringify({
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 23456,
    duration_api_ms: 21012,
    num_turns: 3,
    result: 'Fixed the login redirect and added a test.',
    session_id: SESSION,
    total_cost_usd: 0.0123,
    usage: USAGE,
    modelUsage: { [MODEL]: { inputTokens: 12, outputTokens: 456, cacheReadInputTokens: 15000, cacheCreationInputTokens: 3400, costUSD: 0.0123 } },
    permission_denials: [],
    uuid: 'd5c0b9a8-2f3e-4d5c-9b8a-3c4d5e6f7a8b',
    ...fields,
  });
}

const USAGE_EVENT: AgentEvent = { type: 'usage', inputTokens: 12 + 15000 + 3400, outputTokens: 456, costUsd: 0.0123, cumulative: true };

describe('parseClaudeLine: recorded stream-json lines', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['system init', INIT, [{ type: 'started', sessionId: SESSION, model: MODEL }]],
    ['system init without a model', JSON.stringify({ type: 'system', subtype: 'init', session_id: SESSION }), [{ type: 'started', sessionId: SESSION, model: undefined }]],
    ['another system message', JSON.stringify({ type: 'system', subtype: 'compact_boundary', session_id: SESSION, compact_metadata: { trigger: 'auto', pre_tokens: 155000 } }), []],
    ['assistant text', assistant([{ type: 'text', text: "I'll look at the login redirect first." }]), [{ type: 'text', text: "I'll look at the login redirect first." }]],
    [
      'assistant thinking is not shown',
      assistant([{ type: 'thinking', thinking: 'The user wants…', signature: 'EqQBCkYIBxgCKkA' }]),
      [],
    ],
    [
      'Bash tool_use: the command, not the description',
      assistant([{ type: 'tool_use', id: 'toolu_01A', name: 'Bash', input: { command: 'grep -rn redirect src/', description: 'Find the redirect code' } }]),
      [{ type: 'tool', name: 'Bash', detail: 'grep -rn redirect src/' }],
    ],
    [
      'Read tool_use: the file path',
      assistant([{ type: 'tool_use', id: 'toolu_01B', name: 'Read', input: { file_path: '/workspace/repo/src/login.ts' } }]),
      [{ type: 'tool', name: 'Read', detail: '/workspace/repo/src/login.ts' }],
    ],
    [
      'Glob tool_use: the pattern',
      assistant([{ type: 'tool_use', id: 'toolu_01C', name: 'Glob', input: { pattern: 'src/**/*.test.ts' } }]),
      [{ type: 'tool', name: 'Glob', detail: 'src/**/*.test.ts' }],
    ],
    [
      'Grep tool_use: the path before the pattern',
      assistant([{ type: 'tool_use', id: 'toolu_01D', name: 'Grep', input: { pattern: 'redirect', path: 'src' } }]),
      [{ type: 'tool', name: 'Grep', detail: 'src' }],
    ],
    [
      'WebFetch tool_use: the url',
      assistant([{ type: 'tool_use', id: 'toolu_01E', name: 'WebFetch', input: { url: 'https://example.com/docs', prompt: 'summarise' } }]),
      [{ type: 'tool', name: 'WebFetch', detail: 'https://example.com/docs' }],
    ],
    [
      'Task tool_use: the description',
      assistant([{ type: 'tool_use', id: 'toolu_01F', name: 'Task', input: { description: 'Explore the auth module', prompt: 'Look around', subagent_type: 'general-purpose' } }]),
      [{ type: 'tool', name: 'Task', detail: 'Explore the auth module' }],
    ],
    [
      'TodoWrite tool_use: nothing to show',
      assistant([{ type: 'tool_use', id: 'toolu_01G', name: 'TodoWrite', input: { todos: [{ content: 'Fix redirect', status: 'in_progress', activeForm: 'Fixing' }] } }]),
      [{ type: 'tool', name: 'TodoWrite', detail: undefined }],
    ],
    [
      'text and two tool uses in one message, in order',
      assistant([
        { type: 'text', text: 'Found it. Editing now.' },
        { type: 'tool_use', id: 'toolu_02A', name: 'Edit', input: { file_path: '/workspace/repo/src/login.ts', old_string: "redirect('/')", new_string: 'redirect(next)' } },
        { type: 'tool_use', id: 'toolu_02B', name: 'Bash', input: { command: 'npm test -- login' } },
      ]),
      [
        { type: 'text', text: 'Found it. Editing now.' },
        { type: 'tool', name: 'Edit', detail: '/workspace/repo/src/login.ts' },
        { type: 'tool', name: 'Bash', detail: 'npm test -- login' },
      ],
    ],
    ['a tool_result from the user side', toolResult('toolu_01A', 'src/login.ts:12:  redirect("/")'), []],
    ['a failed tool_result', toolResult('toolu_02B', 'Exit code 1\nFAIL login.test.ts', true), []],
    ['a tool_result with block content', toolResult('toolu_01B', [{ type: 'text', text: '1→import x' }]), []],
    ['an unknown event type', JSON.stringify({ type: 'stream_event', event: { type: 'content_block_delta' } }), []],
    ['a line with CRLF', `${INIT}\r`, [{ type: 'started', sessionId: SESSION, model: MODEL }]],
  ])('%s', (_name, line, events) => {
    expect(parseClaudeLine(line)).toEqual(events);
  });
});

describe('parseClaudeLine: the result line', () => {
  it.each<[string, Record<string, unknown>, AgentEvent[]]>([
    [
      'success: cumulative usage with cache tokens counted as input, cost, turns, session',
      {},
      [USAGE_EVENT, { type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: SESSION, deniedTools: undefined }],
    ],
    [
      'success with permission denials: tool names, deduplicated, in order',
      {
        permission_denials: [
          { tool_name: 'Bash', tool_use_id: 'toolu_03A', tool_input: { command: 'git push origin HEAD' } },
          { tool_name: 'WebFetch', tool_use_id: 'toolu_03B', tool_input: { url: 'https://internal.example' } },
          { tool_name: 'Bash', tool_use_id: 'toolu_03C', tool_input: { command: 'curl https://x' } },
        ],
      },
      [USAGE_EVENT, { type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: SESSION, deniedTools: ['Bash', 'WebFetch'] }],
    ],
    [
      'is_error: true with subtype success is a failure, its result the message',
      { is_error: true, result: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}', num_turns: 1 },
      [
        USAGE_EVENT,
        { type: 'error', message: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}' },
        { type: 'result', ok: false, text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}', turns: 1, sessionId: SESSION, deniedTools: undefined },
      ],
    ],
    [
      'error_max_turns without a result: the subtype is the message',
      { subtype: 'error_max_turns', is_error: false, result: undefined, num_turns: 5 },
      [USAGE_EVENT, { type: 'error', message: 'error_max_turns' }, { type: 'result', ok: false, text: undefined, turns: 5, sessionId: SESSION, deniedTools: undefined }],
    ],
    [
      'error_during_execution with is_error: true',
      { subtype: 'error_during_execution', is_error: true, result: undefined },
      [USAGE_EVENT, { type: 'error', message: 'error_during_execution' }, { type: 'result', ok: false, text: undefined, turns: 3, sessionId: SESSION, deniedTools: undefined }],
    ],
    [
      'no subtype at all is not a success',
      { subtype: undefined, result: undefined },
      [USAGE_EVENT, { type: 'error', message: 'error' }, { type: 'result', ok: false, text: undefined, turns: 3, sessionId: SESSION, deniedTools: undefined }],
    ],
    [
      'no usage and no cost: no usage event',
      { usage: undefined, total_cost_usd: undefined },
      [{ type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: SESSION, deniedTools: undefined }],
    ],
    [
      'a cost without usage',
      { usage: undefined, total_cost_usd: 0.5 },
      [
        { type: 'usage', inputTokens: 0, outputTokens: 0, costUsd: 0.5, cumulative: true },
        { type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: SESSION, deniedTools: undefined },
      ],
    ],
    [
      'usage without cost',
      { total_cost_usd: undefined, usage: { input_tokens: 10, output_tokens: 2 } },
      [
        { type: 'usage', inputTokens: 10, outputTokens: 2, costUsd: undefined, cumulative: true },
        { type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: SESSION, deniedTools: undefined },
      ],
    ],
    [
      'hostile numbers are dropped: negative, string, non-finite',
      { num_turns: -3, total_cost_usd: -1, usage: { input_tokens: -100, cache_read_input_tokens: '5000', cache_creation_input_tokens: null, output_tokens: 'many' } },
      [
        { type: 'usage', inputTokens: 0, outputTokens: 0, costUsd: undefined, cumulative: true },
        { type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: undefined, sessionId: SESSION, deniedTools: undefined },
      ],
    ],
    [
      'a session id that is not a string is ignored',
      { session_id: 12345, usage: undefined, total_cost_usd: undefined },
      [{ type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: undefined, deniedTools: undefined }],
    ],
  ])('%s', (_name, fields, events) => {
    const line = result(fields);
    expect(parseClaudeLine(line)).toEqual(events);
  });

  it('clips a huge result text and error message', () => {
    const events = parseClaudeLine(result({ is_error: true, result: 'r'.repeat(MAX_TEXT_CHARS * 3) }));
    const error = events.find((e) => e.type === 'error');
    const final = events.find((e) => e.type === 'result');
    expect(error).toEqual({ type: 'error', message: `${'r'.repeat(MAX_TEXT_CHARS)}…` });
    expect(final).toMatchObject({ type: 'result', ok: false, text: `${'r'.repeat(MAX_TEXT_CHARS)}…` });
  });

  it('clips denied tool names to 100 characters and ignores denials that are not objects with a string tool_name', () => {
    const events = parseClaudeLine(
      result({ usage: undefined, total_cost_usd: undefined, permission_denials: [null, 'Bash', { tool_name: 7 }, { tool_name: 'W'.repeat(150) }, { tool_name: 'Write' }] }),
    );
    expect(events).toEqual([{ type: 'result', ok: true, text: 'Fixed the login redirect and added a test.', turns: 3, sessionId: SESSION, deniedTools: [`${'W'.repeat(100)}…`, 'Write'] }]);
  });
});

describe('parseClaudeLine: what is not stream-json', () => {
  it.each<[string, string, AgentEvent[]]>([
    ['an empty line', '', []],
    ['a blank line', '  \t ', []],
    ['plain text (e.g. a warning on stderr)', 'Warning: Claude Code is running as root', [{ type: 'text', text: 'Warning: Claude Code is running as root' }]],
    ['an error before any JSON', 'Error: Invalid API key · Please run /login', [{ type: 'text', text: 'Error: Invalid API key · Please run /login' }]],
    ['a truncated JSON line is kept as text', '{"type":"assistant","message":{"content":[{"type":"text","text":"hal', [{ type: 'text', text: '{"type":"assistant","message":{"content":[{"type":"text","text":"hal' }]],
    ['an array is text', '[{"type":"result"}]', [{ type: 'text', text: '[{"type":"result"}]' }]],
    ['a number is text', '42', [{ type: 'text', text: '42' }]],
    ['null is text', 'null', [{ type: 'text', text: 'null' }]],
    ['a JSON line with a leading space is taken as text', ` ${INIT}`, [{ type: 'text', text: ` ${INIT}` }]],
    ['an empty object', '{}', []],
    ['control characters are stripped, tabs kept', '\u001b[33mwarn\u001b[0m:\tslow\u0007', [{ type: 'text', text: '[33mwarn[0m:\tslow' }]],
  ])('%s', (_name, line, events) => {
    expect(parseClaudeLine(line)).toEqual(events);
  });

  it('control characters inside JSON texts are stripped too', () => {
    const events = parseClaudeLine(assistant([{ type: 'text', text: 'ok\u0000\u001b[2J\r\nnext\tline' }]));
    expect(events).toEqual([{ type: 'text', text: 'ok[2J\nnext\tline' }]);
  });

  it('clips long texts, tool names and tool details', () => {
    const events = parseClaudeLine(
      assistant([
        { type: 'text', text: 't'.repeat(5000) },
        { type: 'tool_use', id: 'toolu_x', name: 'N'.repeat(300), input: { command: 'c'.repeat(1000) } },
        { type: 'tool_use', id: 'toolu_y', input: {} },
      ]),
    );
    expect(events).toEqual([
      { type: 'text', text: `${'t'.repeat(MAX_TEXT_CHARS)}…` },
      { type: 'tool', name: `${'N'.repeat(100)}…`, detail: `${'c'.repeat(200)}…` },
      { type: 'tool', name: 'tool', detail: undefined },
    ]);
  });

  it.each<[string, string]>([
    ['a JSON line past 64 KiB', oversized((filler) => ({ type: 'assistant', message: { content: [{ type: 'text', text: filler }] } }))],
    ['a plain line past 64 KiB', 'p'.repeat(MAX_LINE_BYTES * 2)],
    ['a 64 KiB line cut by splitLines', splitLines('', `${oversized((filler) => ({ type: 'assistant', message: { content: [{ type: 'text', text: filler }] } }))}\n`).lines[0] as string],
  ])('%s becomes one clipped text', (_name, line) => {
    expect(line.length).toBeGreaterThan(MAX_LINE_BYTES);
    const events = parseClaudeLine(line);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('text');
    expect((events[0] as { text: string }).text).toHaveLength(MAX_TEXT_CHARS + 1);
  });

  it.each(HOSTILE_LINES)('never throws on %s, and bounds what it returns', (_name, line) => {
    let events: AgentEvent[] = [];
    expect(() => {
      events = parseClaudeLine(line);
    }).not.toThrow();
    expectBounded(events);
  });
});

describe('parseClaudeLine: a whole recorded run', () => {
  const stream = [
    INIT,
    assistant([{ type: 'text', text: "I'll start by finding the redirect.\nThen fix it." }]),
    assistant([{ type: 'tool_use', id: 'toolu_01A', name: 'Bash', input: { command: 'grep -rn redirect src/', description: 'Find it' } }]),
    toolResult('toolu_01A', 'src/login.ts:12:  redirect("/")'),
    assistant([{ type: 'tool_use', id: 'toolu_01B', name: 'Edit', input: { file_path: '/workspace/repo/src/login.ts', old_string: 'a', new_string: 'b' } }]),
    toolResult('toolu_01B', 'The file has been updated.'),
    'npm warn deprecated inflight@1.0.6',
    assistant([{ type: 'text', text: 'Done.' }]),
    result({ permission_denials: [{ tool_name: 'Bash', tool_use_id: 'toolu_03', tool_input: { command: 'git push' } }] }),
  ].join('\n');

  it('folds into progress: tail, usage, cost, turns, session, denied tools', () => {
    // Read in uneven chunks, as the log grows.
    let pending = '';
    let progress = EMPTY_PROGRESS;
    for (let at = 0; at < stream.length + 1; at += 97) {
      const chunk = at + 97 > stream.length ? `${stream.slice(at)}\n` : stream.slice(at, at + 97);
      const split = splitLines(pending, chunk);
      pending = split.pending;
      for (const line of split.lines) progress = applyEvents(progress, parseClaudeLine(line));
    }
    expect(pending).toBe('');
    expect(progress).toEqual({
      tail: [
        `started (${MODEL})`,
        "I'll start by finding the redirect.",
        'tool Bash: grep -rn redirect src/',
        'tool Edit: /workspace/repo/src/login.ts',
        'npm warn deprecated inflight@1.0.6',
        'Done.',
      ],
      inputTokens: 18412,
      outputTokens: 456,
      costUsd: 0.0123,
      turns: 3,
      sessionId: SESSION,
      deniedTools: ['Bash'],
      streaming: false,
    });
    for (const line of progress.tail) expect(line).not.toMatch(CONTROL);
  });
});
