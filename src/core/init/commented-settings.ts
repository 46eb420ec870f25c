import { unwrap, type AnySchema } from '../config/reference.js';
import { configSchema } from '../config/schema.js';

/** A setting init writes as a live value: its YAML text, and what to say beside it instead of the schema's description. */
export interface LiveSetting {
  value: string;
  note?: string;
}

export interface SettingsText {
  /** By dotted path (forges.github.url): the settings that are written live; all others are comments. */
  live: ReadonlyMap<string, LiveSetting>;
  /** By schema path (agents.<name>.model): a value to show in the comment of a setting that has no default. */
  examples: Readonly<Record<string, string>>;
  /** By record (agents): the entry name a commented example entry gets. */
  entryNames: Readonly<Record<string, string>>;
}

/** Where the descriptions start, so they read as a column. */
const COMMENT_COLUMN = 36;

const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** A default as YAML: plain where that reads back as the same string, else JSON (which YAML reads too). */
export function yamlValue(value: unknown): string {
  if (typeof value === 'string') return /^[A-Za-z][A-Za-z0-9_./@:-]*$/.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function line(depth: number, live: boolean, text: string, comment: string | undefined): string {
  const body = `${'  '.repeat(depth)}${live ? '' : '# '}${text}`;
  return comment === undefined || comment === '' ? body : `${body.padEnd(COMMENT_COLUMN - 2)}  # ${comment}`;
}

/**
 * Every setting of the config schema as YAML lines, in the schema's order,
 * with its description beside it: the given ones live, all others commented
 * out with their default (or an example), so uncommenting a line gives a
 * working setting. Made from the schema, so a new setting cannot be missing.
 */
export function renderSettings(text: SettingsText): string[] {
  const lines: string[] = [];
  const isLive = (path: string) => [...text.live.keys()].some((p) => p === path || p.startsWith(`${path}.`));

  const walkObject = (schema: AnySchema, path: string, schemaPath: string, depth: number) => {
    for (const [key, child] of Object.entries(schema._zod.def.shape as Record<string, AnySchema>)) {
      const at = path === '' ? key : `${path}.${key}`;
      const schemaAt = schemaPath === '' ? key : `${schemaPath}.${key}`;
      const { inner, defaultValue, description } = unwrap(child);
      const def = inner._zod.def;
      const valueSchema = def.type === 'record' ? unwrap(def.valueType as AnySchema).inner : undefined;
      if (def.type === 'object') {
        if (depth === 0 && lines.length > 0) lines.push('');
        lines.push(line(depth, isLive(at), `${key}:`, description));
        walkObject(inner, at, schemaAt, depth + 1);
      } else if (valueSchema !== undefined && valueSchema._zod.def.type === 'object') {
        if (depth === 0 && lines.length > 0) lines.push('');
        lines.push(line(depth, isLive(at), `${key}:`, description));
        const given = new Set([...text.live.keys()].filter((p) => p.startsWith(`${at}.`)).map((p) => p.slice(at.length + 1).split('.')[0] as string));
        const names = given.size > 0 ? [...given] : [text.entryNames[schemaAt] ?? '<name>'];
        for (const name of names) {
          lines.push(line(depth + 1, given.has(name), `${yamlValue(name)}:`, undefined));
          walkObject(valueSchema, `${at}.${name}`, `${schemaAt}.<name>`, depth + 2);
        }
      } else {
        const live = text.live.get(at);
        if (live !== undefined) {
          lines.push(line(depth, true, `${key}: ${live.value}`, live.note ?? description));
        } else {
          const shown = defaultValue !== undefined ? yamlValue(defaultValue) : text.examples[schemaAt];
          lines.push(line(depth, false, shown === undefined ? `${key}:` : `${key}: ${shown}`, description));
        }
      }
    }
  };
  walkObject(configSchema as unknown as AnySchema, '', '', 0);
  return lines;
}
