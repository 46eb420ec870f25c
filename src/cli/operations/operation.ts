import { z } from 'zod';
import type { Deps } from '../deps.js';

/** What a command module exports: parse its options, do the work, print, and return the exit code. */
export interface CommandModule {
  run(opts: unknown, deps: Deps): Promise<number>;
}

/** A positional argument: on the command line in this order; a named field of the MCP tool. */
export interface Positional {
  name: string;
  description: string;
  required: boolean;
}

/** How a flag is spelled on the command line, where the key alone does not say it. */
export interface FlagSpelling {
  /** One letter: `-f` beside `--follow`. */
  short?: string;
  /** The value's name in help: `--agent <name[:model]>` (default: the flag's own name). */
  value?: string;
  /** Kept working but not shown in help. */
  hidden?: boolean;
}

/** The MCP tool made from an operation: which fields only make sense on a terminal, and what to return. */
export interface ToolSurface {
  /** Input fields of the command line that the tool does not take (printing, following, local files). */
  omit: readonly string[];
  /** Options every call passes to the command (JSON output, say). */
  fixed?: Record<string, unknown>;
  /** Input fields only the tool takes (how many log lines to return, say), or that it takes narrower than the command line. */
  extra?: z.ZodRawShape;
}

/**
 * One operation, defined once: its name, input schema (each field's
 * .describe() is its help), summary, an example, and the command module that
 * runs it. The commander command, the MCP tool and docs/reference/commands.md
 * are all made from this, so they cannot drift. Nothing heavy is imported
 * here: the command module loads only when the operation runs.
 */
export interface Operation {
  /** Words of the command: ['dispatch'], ['pool', 'resume']. */
  path: readonly string[];
  summary: string;
  /** One command line that shows a typical use. */
  example: string;
  input: z.ZodObject;
  positionals: readonly Positional[];
  flags?: Record<string, FlagSpelling>;
  /** Options set by the command itself, not by the user (thaw is freeze with frozen: false). */
  fixed?: Record<string, unknown>;
  /** Absent: no MCP tool. */
  tool?: ToolSurface;
  /** Absent: an MCP tool only (wait, list). */
  command?: () => Promise<CommandModule>;
}

/** Fields every command takes but that are not its own: the positionals' array and the global --config. */
export const NOT_FLAGS = new Set(['args', 'config']);

/** A field of the input schema, with its wrappers (optional, default) taken off. */
export interface FieldShape {
  kind: 'boolean' | 'value' | 'list';
  required: boolean;
  default: unknown;
  description: string;
}

export function fieldShape(field: z.ZodType): FieldShape {
  let inner = field as z.ZodType;
  let required = true;
  let defaultValue: unknown;
  let description = field.description;
  for (;;) {
    const def = inner.def as { type: string; innerType?: z.ZodType; defaultValue?: unknown };
    if (def.type === 'optional') required = false;
    else if (def.type === 'default') {
      required = false;
      defaultValue = def.defaultValue;
    } else break;
    inner = def.innerType as z.ZodType;
    description ??= inner.description;
  }
  const type = (inner.def as { type: string }).type;
  return { kind: type === 'boolean' ? 'boolean' : type === 'array' ? 'list' : 'value', required, default: defaultValue, description: description ?? '' };
}

/** --wait-timeout for waitTimeout. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
}

/** The operation's name as a command line says it, and as a tool is named. */
export const commandName = (op: Operation) => op.path.join(' ');
export const toolName = (op: Operation) => op.path.join('_');

/** A schema built on first use: building every operation's schema would cost each start-up ~15 ms, for one command. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
