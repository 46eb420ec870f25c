import { clipText, num, obj, parseObject, str, type AgentEvent } from './agent-event.js';

/** codex exec --json: JSONL thread/turn/item events. */
export function parseCodexLine(line: string): AgentEvent[] {
  const event = parseObject(line);
  if (event === undefined) return line.trim() === '' ? [] : [{ type: 'text', text: clipText(line) }];
  const type = str(event.type);
  switch (type) {
    case 'thread.started':
      return [{ type: 'started', sessionId: str(event.thread_id) }];
    case 'item.started':
    case 'item.completed': {
      const item = obj(event.item);
      const kind = str(item?.type);
      if (type === 'item.completed' && kind === 'agent_message' && str(item?.text) !== undefined) return [{ type: 'text', text: clipText(str(item?.text) as string) }];
      if (type === 'item.started' && kind === 'command_execution') return [{ type: 'tool', name: 'shell', detail: clipText(str(item?.command) ?? '', 200) }];
      if (type === 'item.started' && (kind === 'file_change' || kind === 'mcp_tool_call' || kind === 'web_search')) {
        return [{ type: 'tool', name: kind === 'mcp_tool_call' ? clipText(str(item?.tool) ?? 'mcp', 100) : kind }];
      }
      if (kind === 'error') return [{ type: 'error', message: clipText(str(item?.message) ?? 'error') }];
      return [];
    }
    case 'turn.completed': {
      const usage = obj(event.usage);
      return [{ type: 'usage', inputTokens: num(usage?.input_tokens) ?? 0, outputTokens: num(usage?.output_tokens) ?? 0, cumulative: false }];
    }
    case 'turn.failed':
      return [{ type: 'error', message: clipText(str(obj(event.error)?.message) ?? 'turn failed') }];
    case 'error':
      return [{ type: 'error', message: clipText(str(event.message) ?? 'error') }];
    default:
      return [];
  }
}
