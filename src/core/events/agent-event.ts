/** agentctl's one vocabulary for what any agent is doing, whatever its CLI prints. */
export type AgentEvent =
  | { type: 'started'; sessionId?: string | undefined; model?: string | undefined }
  | { type: 'text'; text: string; /** A piece of a longer message, streamed. */ delta?: boolean | undefined }
  | { type: 'tool'; name: string; detail?: string | undefined }
  | {
      type: 'usage';
      inputTokens: number;
      outputTokens: number;
      costUsd?: number | undefined;
      /** true when the numbers are the run's totals so far, false when they add to them. */
      cumulative: boolean;
    }
  | { type: 'error'; message: string }
  | {
      type: 'result';
      ok: boolean;
      text?: string | undefined;
      turns?: number | undefined;
      sessionId?: string | undefined;
      deniedTools?: string[] | undefined;
    };

/** Agent output is untrusted: every line and every text we keep is bounded. */
export const MAX_LINE_BYTES = 64 * 1024;
export const MAX_TEXT_CHARS = 2000;

export function clipText(text: string, max = MAX_TEXT_CHARS): string {
  const flat = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export type LineParser = (line: string) => AgentEvent[];

/** JSON.parse that never throws and only accepts objects. */
export function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A plausible count or amount: finite, not negative, and far below where sums could overflow. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1e12 ? value : undefined;
}

export function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
