import type { z } from 'zod';
import { usageError } from '../core/errors.js';

function flagName(key: PropertyKey): string {
  return `--${String(key).replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
}

/** Validate a command's parsed flags; the first problem becomes a usage error naming the flag. */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown, command: string): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const flag = issue?.path[0] === undefined ? '' : `${flagName(issue.path[0])} `;
  throw usageError('invalid_option', `${command}: ${flag}${issue?.message ?? 'invalid options'}`, `see "agentctl ${command} --help"`);
}
