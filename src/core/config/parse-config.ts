import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema } from './schema.js';
import { configError, describeIssue, type RawConfig } from './validate-config.js';

function lineOf(doc: Document, counter: LineCounter, path: PropertyKey[], key?: string): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node === undefined || node === null) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      const keyRange = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (keyRange !== undefined) return counter.linePos(keyRange[0]).line;
    }
    if (node.range !== undefined) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Parse and validate one config file's text. Returns the raw (undefaulted) mapping for merging. */
export function parseConfigText(text: string, source: string): RawConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const line = counter.linePos(yamlError.pos[0]).line;
    throw configError(source, line, `not valid YAML: ${yamlError.message.split('\n')[0]}`, undefined);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw configError(source, 1, 'the top level must be a mapping of settings', 'defaults');
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const { path, key, text: what } = describeIssue(issue);
    const section = typeof path[0] === 'string' ? path[0] : key;
    throw configError(source, lineOf(doc, counter, path, key), what, section);
  }
  return raw as RawConfig;
}

