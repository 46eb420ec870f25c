import type { z } from 'zod';
import { configSchema } from './schema.js';

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

export type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } }; description?: string };

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable']);

/** A setting's schema without its optional/default wrappers, with the default and description those carried. */
export function unwrap(schema: AnySchema): { inner: AnySchema; defaultValue: unknown; description: string | undefined } {
  let current = schema;
  let defaultValue: unknown;
  let description = schema.description;
  while (WRAPPERS.has(current._zod.def.type)) {
    if (current._zod.def.type === 'default' && defaultValue === undefined) defaultValue = current._zod.def.defaultValue;
    current = current._zod.def.innerType as AnySchema;
    description ??= current.description;
  }
  return { inner: current, defaultValue, description };
}

function typeName(schema: AnySchema): string {
  const def = schema._zod.def;
  switch (def.type) {
    case 'enum':
      return Object.values(def.entries as Record<string, string>).join(' \\| ');
    case 'array':
      return `list of ${typeName(unwrap(def.element as AnySchema).inner)}`;
    case 'record':
      return `map of ${typeName(unwrap(def.valueType as AnySchema).inner)}`;
    case 'union':
      return (def.options as AnySchema[]).map((o) => typeName(unwrap(o).inner)).join(' or ');
    case 'object':
      return 'mapping';
    default:
      return def.type;
  }
}

/** `items`: also each field of a list of mappings (watch.routes[].forge), which the reference shows and the starter config does not. */
function walk(schema: AnySchema, prefix: string, rows: Row[], items = false): void {
  const { inner, defaultValue, description } = unwrap(schema);
  const def = inner._zod.def;
  if (prefix !== '') {
    rows.push({
      key: prefix,
      type: typeName(inner),
      default: defaultValue === undefined || (typeof defaultValue === 'object' && defaultValue !== null && Object.keys(defaultValue).length === 0) ? '' : `\`${JSON.stringify(defaultValue)}\``,
      description: description ?? '',
    });
  }
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape as Record<string, AnySchema>)) walk(child, prefix === '' ? key : `${prefix}.${key}`, rows, items);
  } else if (def.type === 'record') {
    const value = unwrap(def.valueType as AnySchema).inner;
    if (value._zod.def.type === 'object') walk(value, `${prefix}.<name>`, rows, items);
  } else if (def.type === 'array' && items) {
    const element = unwrap(def.element as AnySchema).inner;
    if (element._zod.def.type === 'object') for (const [key, child] of Object.entries(element._zod.def.shape as Record<string, AnySchema>)) walk(child, `${prefix}[].${key}`, rows, items);
  }
}

/** Every setting's dotted path, records' entries as <name>: what a complete starter config shows. */
export function settingPaths(): string[] {
  const rows: Row[] = [];
  walk(configSchema as unknown as AnySchema, '', rows);
  return rows.map((row) => row.key);
}

/** The configuration reference (docs/reference/config.md), generated from the schema so the docs cannot drift from the code. */
export function configReference(): string {
  const rows: Row[] = [];
  walk(configSchema as unknown as AnySchema, '', rows, true);
  const lines = ['| setting | type | default | meaning |', '|---|---|---|---|'];
  for (const row of rows) lines.push(`| \`${row.key}\` | ${row.type} | ${row.default} | ${row.description.replaceAll('|', '\\|')} |`);
  return `${lines.join('\n')}\n`;
}
