import { describe, expect, it } from 'vitest';
import { hasParsedView, LogView } from '../../../src/core/events/log-view.js';
import { parserFor } from '../../../src/core/events/progress.js';

function view(agent: string, lines: string[]): string[] {
  const parse = parserFor(agent);
  const v = new LogView();
  return [...lines.flatMap((line) => v.lines(parse(line))), ...v.flush()];
}

describe('LogView: the agent log as text and tool lines', () => {
  it('claude: what it says, its tool calls, and the result with turns, cost and denied tools', () => {
    const lines = [
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 'sess-1', model: 'sonnet' }),
      JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'Looking at the tests.\nThen the code.' }, { type: 'tool_use', name: 'Bash', input: { command: 'npm test' } }] } }),
      JSON.stringify({ type: 'result', subtype: 'success', is_error: false, num_turns: 3, total_cost_usd: 0.0412, session_id: 'sess-1', permission_denials: [{ tool_name: 'WebFetch' }] }),
    ];
    expect(view('claude', lines)).toEqual([
      '== started (sonnet), session sess-1',
      'Looking at the tests.',
      'Then the code.',
      '→ Bash npm test',
      '== done, 3 turns, $0.04, denied: WebFetch',
    ]);
  });

  it('codex: agent messages and commands', () => {
    const lines = [
      JSON.stringify({ type: 'thread.started', thread_id: 't-1' }),
      JSON.stringify({ type: 'item.completed', item: { type: 'agent_message', text: 'Done.' } }),
      JSON.stringify({ type: 'item.started', item: { type: 'command_execution', command: 'ls -la' } }),
    ];
    const out = view('codex', lines);
    expect(out).toContain('Done.');
    expect(out.some((line) => line.startsWith('→ ') && line.includes('ls -la'))).toBe(true);
    expect(out.some((line) => line.includes('{'))).toBe(false);
  });

  it('gemini: streamed pieces of one message read as one', () => {
    const lines = [
      JSON.stringify({ type: 'message', role: 'assistant', content: 'Hel', delta: true }),
      JSON.stringify({ type: 'message', role: 'assistant', content: 'lo there', delta: true }),
      JSON.stringify({ type: 'tool_use', tool_name: 'read_file', parameters: { file_path: 'a.ts' } }),
    ];
    const out = view('gemini', lines);
    expect(out[0]).toBe('Hello there');
    expect(out.some((line) => line.startsWith('→ read_file'))).toBe(true);
  });

  it('only the agents that print machine events get the parsed view', () => {
    expect(['claude', 'codex', 'gemini', 'local', 'coderabbit', 'mine'].map(hasParsedView)).toEqual([true, true, true, true, false, false]);
  });
});
