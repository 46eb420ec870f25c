import { arr, clipText, num, obj, parseObject, str, type AgentEvent } from './agent-event.js';

function toolDetail(input: Record<string, unknown> | undefined): string | undefined {
  if (input === undefined) return undefined;
  const first = str(input.command) ?? str(input.file_path) ?? str(input.path) ?? str(input.pattern) ?? str(input.url) ?? str(input.description);
  return first === undefined ? undefined : clipText(first, 200);
}

/** claude -p --output-format stream-json --verbose: one JSON object per line. */
export function parseClaudeLine(line: string): AgentEvent[] {
  const event = parseObject(line);
  if (event === undefined) return line.trim() === '' ? [] : [{ type: 'text', text: clipText(line) }];
  const type = str(event.type);
  if (type === 'system' && str(event.subtype) === 'init') {
    return [{ type: 'started', sessionId: str(event.session_id), model: str(event.model) }];
  }
  if (type === 'assistant') {
    const message = obj(event.message);
    const out: AgentEvent[] = [];
    for (const part of arr(message?.content)) {
      const block = obj(part);
      if (str(block?.type) === 'text' && str(block?.text) !== undefined) out.push({ type: 'text', text: clipText(str(block?.text) as string) });
      if (str(block?.type) === 'tool_use') out.push({ type: 'tool', name: clipText(str(block?.name) ?? 'tool', 100), detail: toolDetail(obj(block?.input)) });
    }
    return out;
  }
  if (type === 'result') {
    const usage = obj(event.usage);
    const denials = arr(event.permission_denials)
      .map((d) => str(obj(d)?.tool_name))
      .filter((name): name is string => name !== undefined)
      .map((name) => clipText(name, 100));
    const isError = event.is_error === true || str(event.subtype) !== 'success';
    const out: AgentEvent[] = [];
    if (usage !== undefined || num(event.total_cost_usd) !== undefined) {
      out.push({
        type: 'usage',
        inputTokens: (num(usage?.input_tokens) ?? 0) + (num(usage?.cache_read_input_tokens) ?? 0) + (num(usage?.cache_creation_input_tokens) ?? 0),
        outputTokens: num(usage?.output_tokens) ?? 0,
        costUsd: num(event.total_cost_usd),
        cumulative: true,
      });
    }
    if (isError) out.push({ type: 'error', message: clipText(str(event.result) ?? str(event.subtype) ?? 'error') });
    out.push({
      type: 'result',
      ok: !isError,
      text: str(event.result) === undefined ? undefined : clipText(str(event.result) as string),
      turns: num(event.num_turns),
      sessionId: str(event.session_id),
      deniedTools: denials.length > 0 ? [...new Set(denials)] : undefined,
    });
    return out;
  }
  return [];
}
