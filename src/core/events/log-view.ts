import type { AgentEvent } from './agent-event.js';

/** Agents whose CLI prints machine events: `logs` shows them as text and tool lines unless --raw. */
export function hasParsedView(agentBase: string): boolean {
  return agentBase === 'claude' || agentBase === 'codex' || agentBase === 'gemini' || agentBase === 'local';
}

function resultLine(event: Extract<AgentEvent, { type: 'result' }>, costUsd: number | undefined): string {
  const parts = [event.ok ? 'done' : 'ended with an error'];
  if (event.turns !== undefined) parts.push(`${Math.trunc(event.turns)} turn${event.turns === 1 ? '' : 's'}`);
  if (costUsd !== undefined) parts.push(`$${costUsd.toFixed(2)}`);
  if (event.deniedTools !== undefined && event.deniedTools.length > 0) parts.push(`denied: ${event.deniedTools.join(', ')}`);
  return `== ${parts.join(', ')}`;
}

/**
 * Agent events as a person reads them in `logs`: what the agent said, one
 * line per tool call, errors, and the result. A message streamed in pieces
 * is held until it ends, so it reads as one.
 */
export class LogView {
  private streamed = '';
  private costUsd: number | undefined;

  lines(events: readonly AgentEvent[]): string[] {
    const out: string[] = [];
    for (const event of events) {
      if (event.type === 'text' && event.delta === true) {
        this.streamed += event.text;
        continue;
      }
      out.push(...this.flush());
      switch (event.type) {
        case 'started':
          out.push(`== started${event.model === undefined ? '' : ` (${event.model})`}${event.sessionId === undefined ? '' : `, session ${event.sessionId}`}`);
          break;
        case 'text':
          if (event.text.trim() !== '') out.push(...event.text.replace(/\n+$/, '').split('\n'));
          break;
        case 'tool':
          out.push(`→ ${event.name}${event.detail === undefined || event.detail === '' ? '' : ` ${event.detail.split('\n')[0]}`}`);
          break;
        case 'error':
          out.push(`error: ${event.message.split('\n')[0]}`);
          break;
        case 'usage':
          if (event.costUsd !== undefined) this.costUsd = event.cumulative ? event.costUsd : (this.costUsd ?? 0) + event.costUsd;
          break;
        case 'result':
          out.push(resultLine(event, this.costUsd));
          break;
      }
    }
    return out;
  }

  /** A streamed message still being held: printed when the next event comes, or at the end of the log. */
  flush(): string[] {
    const text = this.streamed;
    this.streamed = '';
    return text.trim() === '' ? [] : text.replace(/\n+$/, '').split('\n');
  }
}
