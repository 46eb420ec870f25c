import { clipText, num, obj, parseObject, str, type AgentEvent } from './agent-event.js';

/** A short rendering of tool parameters; absurdly nested input renders as nothing rather than throwing. */
function parametersText(parameters: unknown): string | undefined {
  try {
    return clipText(JSON.stringify(parameters ?? {}), 200);
  } catch {
    return undefined;
  }
}

/** gemini --output-format stream-json: init, message, tool_use, tool_result, result, error. */
export function parseGeminiLine(line: string): AgentEvent[] {
  const event = parseObject(line);
  if (event === undefined) return line.trim() === '' ? [] : [{ type: 'text', text: clipText(line) }];
  switch (str(event.type)) {
    case 'init':
      return [{ type: 'started', sessionId: str(event.session_id), model: str(event.model) }];
    case 'message':
      return str(event.role) === 'assistant' && str(event.content) !== undefined
        ? [{ type: 'text', text: clipText(str(event.content) as string), delta: event.delta === true ? true : undefined }]
        : [];
    case 'tool_use':
      return [{ type: 'tool', name: clipText(str(event.tool_name) ?? 'tool', 100), detail: parametersText(event.parameters) }];
    case 'error':
      return [{ type: 'error', message: clipText(str(event.message) ?? 'error') }];
    case 'result': {
      const stats = obj(event.stats);
      const ok = str(event.status) === 'success';
      const out: AgentEvent[] = [];
      if (stats !== undefined) {
        out.push({ type: 'usage', inputTokens: num(stats.input_tokens) ?? 0, outputTokens: num(stats.output_tokens) ?? 0, cumulative: true });
      }
      if (!ok) out.push({ type: 'error', message: clipText(str(obj(event.error)?.message) ?? `result ${str(event.status) ?? 'error'}`) });
      out.push({ type: 'result', ok, turns: num(stats?.tool_calls) });
      return out;
    }
    default:
      return [];
  }
}

/** Custom agents: every non-empty line is progress text. */
export function parsePlainLine(line: string): AgentEvent[] {
  return line.trim() === '' ? [] : [{ type: 'text', text: clipText(line) }];
}
