import { z } from 'zod';
import { NOT_FLAGS, type Operation } from './operation.js';

/**
 * The MCP tool's input schema, made from the operation's own: its
 * positionals become named fields, the fields only a terminal wants are left
 * out, and the tool's extras added. Strict: a field the tool does not know is
 * an error that names it, not silently dropped.
 */
export function toolInput(op: Operation): z.ZodObject {
  const surface = op.tool ?? { omit: [] };
  const left = new Set([...NOT_FLAGS, ...surface.omit, ...Object.keys(op.fixed ?? {}), ...Object.keys(surface.fixed ?? {})]);
  const shape: Record<string, z.ZodType> = {};
  for (const arg of op.positionals) {
    const field = z.string().min(1).describe(arg.description);
    shape[arg.name] = arg.required ? field : field.optional();
  }
  for (const [key, field] of Object.entries(op.input.shape)) if (!left.has(key)) shape[key] = surface.extra?.[key] ?? field;
  return z.object({ ...shape, ...surface.extra }).strict();
}

/** A tool call's input as the command line would have given it: positionals in order, as args. */
export function commandInput(op: Operation, input: Record<string, unknown>, config: string | undefined): Record<string, unknown> {
  const positional = new Set(op.positionals.map((arg) => arg.name));
  // Extras the command does not know stay with the tool; a narrowed field of the command goes through.
  const extra = new Set(Object.keys(op.tool?.extra ?? {}).filter((key) => !(key in op.input.shape)));
  const options = Object.fromEntries(Object.entries(input).filter(([key]) => !positional.has(key) && !extra.has(key)));
  const args = op.positionals.map((arg) => input[arg.name]).filter((value): value is string => typeof value === 'string');
  return { ...options, ...op.fixed, ...op.tool?.fixed, args, config };
}
