import type { RawConfig } from './validate-config.js';

/** AGENTCTL_* variables and the setting each one overrides. */
export const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: [string, string]; kind: 'string' | 'bool' | 'int' }> = [
  { name: 'AGENTCTL_AGENT', path: ['defaults', 'agent'], kind: 'string' },
  { name: 'AGENTCTL_ORG', path: ['defaults', 'org'], kind: 'string' },
  { name: 'AGENTCTL_FORGE', path: ['defaults', 'forge'], kind: 'string' },
  { name: 'AGENTCTL_RUNTIME', path: ['runtime', 'prefer'], kind: 'string' },
  { name: 'AGENTCTL_GPU', path: ['runtime', 'gpu'], kind: 'bool' },
  { name: 'AGENTCTL_TIMEOUT', path: ['timeouts', 'agent'], kind: 'int' },
];

function coerce(value: string, kind: 'string' | 'bool' | 'int'): unknown {
  if (kind === 'bool') {
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    return value;
  }
  if (kind === 'int') return /^\d+$/.test(value) ? Number(value) : value;
  return value;
}

/** A config layer built from the environment, and the variables it used. */
export function envOverrides(env: Record<string, string | undefined>): { layer: RawConfig | undefined; names: string[] } {
  const layer: Record<string, Record<string, unknown>> = {};
  const names: string[] = [];
  for (const { name, path, kind } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const [section, key] = path;
    layer[section] = { ...(layer[section] ?? {}), [key]: coerce(value, kind) };
    names.push(name);
  }
  return { layer: names.length === 0 ? undefined : layer, names };
}
