import type { z } from 'zod';
import { JSON_SHAPES, runSummaryJson, statusRunJson, runStatusJson } from './json-shapes.js';

/**
 * Shapes used inside others: a field of one of these links to its section
 * instead of repeating it. Keyed by definition, which .describe() keeps.
 */
const NAMED = new Map<unknown, string>([
  [runStatusJson.def, 'Run status'],
  [runSummaryJson.def, 'Run summary'],
  [statusRunJson.def, 'Status run'],
]);

interface Def {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
}

const defOf = (schema: z.ZodType) => schema.def as unknown as Def;
const anchor = (title: string) => `#${title.toLowerCase().replace(/ /g, '-')}`;
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** A schema as a short type in TypeScript's words; nested objects inline. */
function typeText(schema: z.ZodType): string {
  const named = NAMED.get(schema.def);
  if (named !== undefined) return `[${named}](${anchor(named)})`;
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
      return typeText(def.innerType as z.ZodType);
    case 'nullable':
      return `${typeText(def.innerType as z.ZodType)} or null`;
    case 'array':
      return `array of ${typeText(def.element as z.ZodType)}`;
    case 'literal':
      return (def.values ?? []).map((value) => JSON.stringify(value)).join(' or ');
    case 'enum':
      return Object.values(def.entries ?? {}).map((value) => JSON.stringify(value)).join(', ');
    case 'union':
      return (def.options ?? []).map(typeText).join(' or ');
    case 'object':
      return `{ ${Object.entries(def.shape ?? {}).map(([key, field]) => `${key}${isOptional(field) ? '?' : ''}: ${typeText(field)}`).join('; ')} }`;
    default:
      return def.type;
  }
}

function isOptional(schema: z.ZodType): boolean {
  const type = defOf(schema).type;
  return type === 'optional' || type === 'default';
}

/** The description, looking through optional/nullable wrappers. */
function described(schema: z.ZodType): string {
  let inner: z.ZodType | undefined = schema;
  while (inner !== undefined) {
    if (inner.description !== undefined) return inner.description;
    inner = defOf(inner).innerType;
  }
  return '';
}

function rows(shape: Record<string, z.ZodType>): string[] {
  return Object.entries(shape).map(([key, field]) => `| \`${key}\` | ${cell(typeText(field))} | ${isOptional(field) ? 'optional' : ''} | ${cell(described(field))} |`);
}

/** docs/reference/json.md: every stable --json shape, from its zod schema (npm run docs:json). */
export function jsonReference(): string {
  let out = `# JSON output

<!-- Generated from src/cli/json-shapes.ts by \`npm run docs:json\`; do not edit by hand. -->

What \`--json\` prints, and what the MCP tools return, field by field. These shapes are stable: fields are added, never
renamed or removed. An optional field is absent when it does not apply; a field typed "or null" is always there.
A test parses what the commands really print with these schemas.
`;
  const sections = [
    ...JSON_SHAPES,
    { title: 'Run summary', printedBy: 'The `summary` of a final run, and of an ended run in `status --json`', schema: runSummaryJson },
    { title: 'Status run', printedBy: 'Each of `runs` in `status --json` and MCP `list`', schema: statusRunJson },
  ];
  for (const { title, printedBy, schema } of sections) {
    // A shape made by extending the run status lists only what it adds or redefines.
    const extendsRun = schema !== runStatusJson && Object.keys(runStatusJson.shape).every((key) => key in schema.shape);
    const own = extendsRun ? Object.entries(schema.shape).filter(([key, field]) => runStatusJson.shape[key as keyof typeof runStatusJson.shape] !== field) : Object.entries(schema.shape);
    out += `\n## ${title}\n\n${printedBy}.${!extendsRun ? '' : ` Every field of [Run status](${anchor('Run status')}), and:`}\n\n| field | type | | meaning |\n| --- | --- | --- | --- |\n${rows(Object.fromEntries(own) as Record<string, z.ZodType>).join('\n')}\n`;
  }
  return out;
}
