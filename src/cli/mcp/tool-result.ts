import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isAgentctlError } from '../../core/errors.js';

/** A tool's answer: the structured result, and the same as readable text (notes first). */
export function toolResult(structured: Record<string, unknown>, notes: string[] = []): CallToolResult {
  const text = [...notes, JSON.stringify(structured, null, 2)].join('\n');
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A failed call as a tool error: agentctl's message and hint, for the calling agent to act on. */
export function toolError(error: unknown): CallToolResult {
  if (isAgentctlError(error)) {
    const text = `agentctl: ${error.message}${error.hint === undefined ? '' : `\nhint: ${error.hint}`}`;
    return { isError: true, content: [{ type: 'text', text }], structuredContent: { error: { code: error.code, message: error.message, hint: error.hint ?? null } } };
  }
  const message = `unexpected error: ${(error as Error).message ?? String(error)}`;
  return { isError: true, content: [{ type: 'text', text: `agentctl: ${message}` }], structuredContent: { error: { code: 'unexpected', message, hint: null } } };
}
