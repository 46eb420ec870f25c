import type { z } from 'zod';
import { AgentctlError, ExitCode } from '../errors.js';
import { CONFIG_EXAMPLES, configSchema, type Config } from './schema.js';

/** One layer of settings as written (no defaults filled in), ready to merge. */
export type RawConfig = Record<string, unknown>;

export function configError(source: string, line: number | undefined, what: string, section: string | undefined): AgentctlError {
  const where = line === undefined ? source : `${source}, line ${line}`;
  const example = section !== undefined && Object.hasOwn(CONFIG_EXAMPLES, section) ? CONFIG_EXAMPLES[section] : undefined;
  const hint =
    example === undefined
      ? 'fix the file; docs/reference/config.md lists every setting'
      : `a valid example:\n${example.replace(/^/gm, '  ')}`;
  return new AgentctlError('invalid_config', `invalid config ${where}: ${what}`, { exitCode: ExitCode.config, hint });
}

/** Settings that no longer exist, with what replaced them. */
const REMOVED_SETTINGS: Record<string, string> = {
  native_agents: 'removed: every agent runs in a container; put "host: true" under agents.<name> to run one on the host',
};

/**
 * A setting's path as a user would write it to find it: repos.acme/web.copy[0].to.
 * Keys that would read as more than one step (a dot, a space) are quoted.
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((step, i) => {
      if (typeof step === 'number') return `[${step}]`;
      const key = String(step);
      if (!/^[A-Za-z0-9_/-]+$/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

export function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; key?: string; text: string } {
  const dotted = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const at = fieldPath([...issue.path, key]);
    const removed = Object.hasOwn(REMOVED_SETTINGS, key) ? ` (${REMOVED_SETTINGS[key]})` : '';
    return { path: issue.path, key, text: `${at}: unknown setting "${key}"${removed}` };
  }
  return { path: issue.path, text: `${dotted === '' ? '(top level)' : dotted}: ${issue.message}` };
}

/** Validate a layer that did not come from a file (the environment), without line numbers. */
export function validateLayer(raw: RawConfig, source: string): RawConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const { path, key, text } = describeIssue(result.error.issues[0] as z.core.$ZodIssue);
    throw configError(source, undefined, text, typeof path[0] === 'string' ? path[0] : key);
  }
  return raw;
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
    const { path, text } = describeIssue(result.error.issues[0] as z.core.$ZodIssue);
    throw configError(source, undefined, text, typeof path[0] === 'string' ? path[0] : undefined);
  }
  return result.data;
}
