import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { AgentctlError, ExitCode } from '../errors.js';
import { CONFIG_EXAMPLES, configSchema, type Config } from './schema.js';

export type RawConfig = Record<string, unknown>;

function configError(source: string, line: number | undefined, what: string, section: string | undefined): AgentctlError {
  const where = line === undefined ? source : `${source}, line ${line}`;
  const example = section !== undefined && Object.hasOwn(CONFIG_EXAMPLES, section) ? CONFIG_EXAMPLES[section] : undefined;
  const hint =
    example === undefined
      ? `fix the file, or run "agentctl init" to write a commented starter config`
      : `a valid example:\n${example.replace(/^/gm, '  ')}`;
  return new AgentctlError('invalid_config', `invalid config ${where}: ${what}`, { exitCode: ExitCode.config, hint });
}

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

function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; key?: string; text: string } {
  const dotted = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const at = dotted === '' ? key : `${dotted}.${key}`;
    return { path: issue.path, key, text: `${at}: unknown setting "${key}"` };
  }
  return { path: issue.path, text: `${dotted === '' ? '(top level)' : dotted}: ${issue.message}` };
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Later layers win; mappings merge key by key, lists and scalars replace. */
export function mergeRaw(layers: RawConfig[]): RawConfig {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) {
      const prev = out[key];
      out[key] = isPlainObject(prev) && isPlainObject(value) ? merge(prev, value) : value;
    }
    return out;
  };
  return layers.reduce<RawConfig>((acc, layer) => merge(acc, layer), {});
}

export function finalizeConfig(raw: RawConfig, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const { path, text } = describeIssue(issue);
    throw configError(source, undefined, text, typeof path[0] === 'string' ? path[0] : undefined);
  }
  return result.data;
}
