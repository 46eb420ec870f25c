import { expect } from 'vitest';
import { MAX_LINE_BYTES, MAX_TEXT_CHARS, type AgentEvent } from '../../../src/core/events/agent-event.js';

/** Control characters clipText removes (tab and newline stay). */
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** A JSON line with `value` as its text field, well past MAX_LINE_BYTES. */
export function oversized(make: (filler: string) => unknown): string {
  return JSON.stringify(make('A'.repeat(MAX_LINE_BYTES + 1024)));
}

/**
 * Lines no agent CLI should print but a broken or hostile one may: none of
 * them may make a parser throw, and whatever text comes out is clipped.
 */
export const HOSTILE_LINES: ReadonlyArray<[string, string]> = [
  ['empty', ''],
  ['blank', '   \t  '],
  ['a lone brace', '{'],
  ['a truncated object', '{"type":"result","subtype":"success","result":"half a sent'],
  ['a truncated nested object', '{"type":"assistant","message":{"content":[{"type":"text","text":"hal'],
  ['trailing garbage', '{"type":"init"} trailing'],
  ['two objects on one line', '{"type":"init"}{"type":"init"}'],
  ['an array', '[{"type":"result","subtype":"success"}]'],
  ['a string', '"type"'],
  ['a number', '42'],
  ['null', 'null'],
  ['true', 'true'],
  ['an empty object', '{}'],
  ['type is a number', '{"type":5}'],
  ['type is an object', '{"type":{"toString":"result"}}'],
  ['type is an array', '{"type":["result"]}'],
  ['type is null', '{"type":null,"message":null,"item":null,"stats":null,"usage":null}'],
  ['a __proto__ key', '{"__proto__":{"polluted":true},"type":"result","subtype":"success","is_error":false}'],
  ['a constructor key', '{"constructor":{"prototype":{"polluted":true}},"type":"message","role":"assistant","content":"hi"}'],
  ['deep nesting', `${'{"a":'.repeat(500)}1${'}'.repeat(500)}`],
  ['very deep nesting', `${'['.repeat(20000)}${']'.repeat(20000)}`],
  ['very deep nesting inside an object', `{"type":"result","usage":${'['.repeat(20000)}${']'.repeat(20000)}}`],
  ['ANSI colours', '\u001b[31merror\u001b[0m: something \u0007went wrong\r'],
  ['NUL bytes', 'before\u0000after\u0000'],
  ['only control characters', '\u0001\u0002\u0003'],
  ['lone surrogates', '{"type":"message","role":"assistant","content":"\\ud800\\udc00\\udfff"}'],
  ['invalid escapes', '{"type":"message","role":"assistant","content":"\\x41"}'],
  ['an unterminated string', '{"type":"error","message":"never ends'],
  ['a huge plain line', 'x'.repeat(MAX_LINE_BYTES + 10)],
  ['a huge JSON string', JSON.stringify('y'.repeat(MAX_LINE_BYTES + 10))],
  ['a huge array', `[${'1,'.repeat(50000)}1]`],
  ['a huge number', '{"type":"result","num_turns":1e400,"total_cost_usd":1e400,"usage":{"input_tokens":1e400,"output_tokens":-1e400}}'],
  ['NaN-like tokens', '{"type":"turn.completed","usage":{"input_tokens":"NaN","output_tokens":"Infinity"}}'],
  ['negative tokens', '{"type":"turn.completed","usage":{"input_tokens":-5,"cached_input_tokens":-1,"output_tokens":-7}}'],
  ['string tokens', '{"type":"result","status":"success","stats":{"input_tokens":"100","output_tokens":"20","tool_calls":"3"}}'],
  ['nested garbage in content', '{"type":"assistant","message":{"content":[null,1,"x",[],{"type":"text"},{"type":"text","text":5},{"type":"tool_use","name":{},"input":[]}]}}'],
  ['content is a string', '{"type":"assistant","message":{"content":"just text"}}'],
  ['message is an array', '{"type":"assistant","message":[{"content":[{"type":"text","text":"x"}]}]}'],
  ['item is a string', '{"type":"item.completed","item":"agent_message"}'],
  ['item text is an object', '{"type":"item.completed","item":{"type":"agent_message","text":{"a":1}}}'],
  ['error is a string', '{"type":"turn.failed","error":"boom"}'],
  ['denials of the wrong shape', '{"type":"result","subtype":"success","permission_denials":[null,1,"Bash",{"tool_name":7},{"tool_name":["Bash"]}]}'],
  ['denials as an object', '{"type":"result","subtype":"success","permission_denials":{"tool_name":"Bash"}}'],
  ['stats as an array', '{"type":"result","status":"success","stats":[1,2,3]}'],
  ['parameters that cannot be simple', '{"type":"tool_use","tool_name":"x","parameters":{"a":{"b":{"c":[1,2,{"d":"e"}]}}}}'],
];

/** Every text an event carries, with the limit it must respect. */
function texts(event: AgentEvent): Array<[string, number]> {
  switch (event.type) {
    case 'text':
      return [[event.text, MAX_TEXT_CHARS]];
    case 'tool':
      return [
        [event.name, 100],
        [event.detail ?? '', 200],
      ];
    case 'error':
      return [[event.message, MAX_TEXT_CHARS]];
    case 'started':
      return [];
    case 'usage':
      return [];
    case 'result':
      return [[event.text ?? '', MAX_TEXT_CHARS], ...(event.deniedTools ?? []).map((name): [string, number] => [name, 100])];
  }
}

/** What every parser promises about what it returns, whatever the input. */
export function expectBounded(events: readonly AgentEvent[]): void {
  expect(Array.isArray(events)).toBe(true);
  for (const event of events) {
    expect(['started', 'text', 'tool', 'usage', 'error', 'result']).toContain(event.type);
    for (const [text, max] of texts(event)) {
      expect(typeof text).toBe('string');
      // Clipped texts end with one "…" past the limit.
      expect(text.length).toBeLessThanOrEqual(max + 1);
      expect(text).not.toMatch(CONTROL);
    }
    if (event.type === 'usage') {
      for (const n of [event.inputTokens, event.outputTokens, event.costUsd ?? 0]) {
        expect(Number.isFinite(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
      }
    }
    if (event.type === 'result' && event.turns !== undefined) {
      expect(Number.isFinite(event.turns)).toBe(true);
      expect(event.turns).toBeGreaterThanOrEqual(0);
    }
  }
  // Parsing never pollutes prototypes.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}
